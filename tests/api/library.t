# The library: saved tracks and albums, followed artists. Cases run in order, as premium-jp
# (the other cases use premium-us, so counts here are this file's own).

=== nothing saved yet
GET /v1/me/tracks
as premium-jp
status 200
json {"total": 0, "items": [], "next": null}

=== save two tracks by query
PUT /v1/me/tracks?ids={track0},{track1}
as premium-jp
status 200

=== save one more by JSON body
PUT /v1/me/tracks
as premium-jp
body {"ids": ["{track2}"]}
status 200

=== saving again changes nothing
PUT /v1/me/tracks?ids={track0}
as premium-jp
status 200

=== saved tracks, newest first
GET /v1/me/tracks?limit=2
as premium-jp
status 200
json {"total": 3, "limit": 2, "offset": 0, "items": [{"track": {"id": "{track2}"}}, {"track": {"id": "{track1}"}}]}
has items.0.added_at next

=== contains
GET /v1/me/tracks/contains?ids={track0},{track3},{track2}
as premium-jp
status 200
json [true, false, true]

=== saving an unknown track is 404 and saves nothing
PUT /v1/me/tracks?ids={track3},{unknown_id}
as premium-jp
status 404
error-contains no track

=== ... nothing half-applied
GET /v1/me/tracks/contains?ids={track3}
as premium-jp
status 200
json [false]

=== a malformed id is 400
PUT /v1/me/tracks?ids=nope
as premium-jp
status 400

=== a body without ids is 400
PUT /v1/me/tracks
as premium-jp
body {"uris": []}
status 400
error-contains ids

=== remove a track
DELETE /v1/me/tracks?ids={track1}
as premium-jp
status 200

=== removed
GET /v1/me/tracks
as premium-jp
status 200
json {"total": 2}

=== other users do not see it
GET /v1/me/tracks/contains?ids={track0}
as free-us
status 200
json [false]

=== a repeated id is saved once, at its first place; a saved one keeps its time
PUT /v1/me/tracks?ids={track3},{track1},{track3},{track0}
as premium-jp
status 200

=== ... newest first: the new ones in the request's order, then those saved before
GET /v1/me/tracks
as premium-jp
status 200
json {"total": 4, "items": [{"track": {"id": "{track1}"}}, {"track": {"id": "{track3}"}}, {"track": {"id": "{track2}"}}, {"track": {"id": "{track0}"}}]}

=== remove with a repeated id and one never saved
DELETE /v1/me/tracks?ids={track3},{unknown_id},{track1},{track3}
as premium-jp
status 200

=== ... both removed, the rest kept
GET /v1/me/tracks
as premium-jp
status 200
json {"total": 2, "items": [{"track": {"id": "{track2}"}}, {"track": {"id": "{track0}"}}]}

=== save an album
PUT /v1/me/albums?ids={album0}
as premium-jp
status 200

=== saved albums
GET /v1/me/albums
as premium-jp
status 200
json {"total": 1, "items": [{"album": {"id": "{album0}"}}]}
has items.0.added_at items.0.album.tracks.items

=== album contains
GET /v1/me/albums/contains?ids={album0},{unknown_id}
as premium-jp
status 200
json [true, false]

=== follow needs type=artist
PUT /v1/me/following?ids={artist0}
as premium-jp
status 400
error-contains type

=== follow an artist
PUT /v1/me/following?type=artist&ids={artist0}
as premium-jp
status 204

=== following, cursor-paged
GET /v1/me/following?type=artist
as premium-jp
status 200
json {"artists": {"total": 1, "items": [{"id": "{artist0}"}], "next": null}}
has artists.cursors artists.href artists.limit

=== the artist now has a follower
GET /v1/artists/{artist0}
as premium-jp
status 200
json {"followers": {"total": 1}}

=== following contains
GET /v1/me/following/contains?type=artist&ids={artist0}
as premium-jp
status 200
json [true]

=== unfollow
DELETE /v1/me/following?type=artist&ids={artist0}
as premium-jp
status 204

=== not following any more
GET /v1/me/following/contains?type=artist&ids={artist0}
as premium-jp
status 200
json [false]
