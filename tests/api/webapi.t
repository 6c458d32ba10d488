# The Web API as client libraries call it (issue #24): ids in a bare JSON array, spotify: URIs,
# and the endpoints added for them. Library and play cases run as free-us, whose counts here
# are this file's own.

=== several artists by ids, null for an unknown one
GET /v1/artists?ids={artist0},{unknown_id}
status 200
json {"artists": [{"id": "{artist0}", "type": "artist", "uri": "segue:artist:{artist0}"}, null]}

=== several artists: a malformed id is 400
GET /v1/artists?ids={artist0},nope
status 400
error-contains invalid id

=== several artists: ids are required
GET /v1/artists
status 400
error-contains ids

=== an artist's albums in a market it plays in
GET /v1/artists/{artist0}/albums?market=US
status 200
json {"total": 1}
json {"items": [{"is_playable": true}]}
absent items.0.available_markets

=== an artist's albums in a market it does not play in
GET /v1/artists/{artist0}/albums?market=AQ
status 200
json {"total": 0}

=== related artists of an unknown artist
GET /v1/artists/{unknown_id}/related-artists
status 404

=== related artists: a malformed id
GET /v1/artists/nope/related-artists
status 400

=== a user's public profile
GET /v1/users/premium-jp
status 200
json {"id": "premium-jp", "display_name": "premium-jp", "type": "user", "uri": "segue:user:premium-jp", "images": [], "followers": {"total": 0}}
has href external_urls
absent country product

=== an unknown user
GET /v1/users/nobody-by-this-name
status 404
error-contains no user

=== new releases: a page of the newest albums under "albums"
GET /v1/browse/new-releases?limit=1
status 200
json {"albums": {"limit": 1, "offset": 0, "total": 2}}
count albums.items 1
has albums.next albums.items.0.available_markets albums.items.0.release_date

=== new releases: the last page
GET /v1/browse/new-releases?limit=1&offset=1
status 200
json {"albums": {"next": null, "offset": 1}}
has albums.previous

=== new releases: a malformed country
GET /v1/browse/new-releases?country=usa
status 400
error-contains country

=== new releases: limit over 50
GET /v1/browse/new-releases?limit=51
status 400

=== markets
GET /v1/markets
status 200
has markets.0

=== a trailing slash names the same resource
GET /v1/search/?q=a&type=track&limit=1
status 200
has tracks.items

=== top items of the wrong type
GET /v1/me/top/playlists
status 404

=== top items: a bad time_range
GET /v1/me/top/tracks?time_range=forever
status 400
error-contains time_range

=== top items: limit over 50
GET /v1/me/top/artists?limit=51
status 400

=== top tracks before any play
GET /v1/me/top/tracks
as free-us
status 200
json {"total": 0, "items": [], "next": null, "limit": 20, "offset": 0}

=== a play event with spotify: URIs
POST /v1/segue/events
as free-us
body {"events": [{"id": "spotify-1", "track_uri": "spotify:track:{track0}", "started_at": 1700000000000, "ms_played": 40000, "reason_end": "track_done", "context_uri": "spotify:album:{album0}"}]}
status 200
json {"accepted": 1}

=== the play keeps Segue's form
GET /v1/me/player/recently-played
as free-us
status 200
json {"items": [{"track": {"id": "{track0}"}, "context": {"uri": "segue:album:{album0}", "type": "album"}}]}

=== top tracks over all time count it
GET /v1/me/top/tracks?time_range=long_term
as free-us
status 200
json {"total": 1, "items": [{"id": "{track0}", "uri": "segue:track:{track0}"}]}

=== ... the last four weeks do not (it was in 2023)
GET /v1/me/top/tracks?time_range=short_term
as free-us
status 200
json {"total": 0}

=== top artists over all time
GET /v1/me/top/artists?time_range=long_term
as free-us
status 200
json {"total": 1, "items": [{"id": "{artist0}", "type": "artist"}]}

=== save albums with a bare JSON array, as official SDKs send it
PUT /v1/me/albums
as free-us
body ["{album0}"]
status 200

=== ... saved
GET /v1/me/albums/contains?ids={album0}
as free-us
status 200
json [true]

=== remove them with a bare array
DELETE /v1/me/albums
as free-us
body ["{album0}"]
status 200

=== ... removed
GET /v1/me/albums/contains?ids={album0}
as free-us
status 200
json [false]

=== follow artists with a bare array
PUT /v1/me/following?type=artist
as free-us
body ["{artist0}"]
status 204

=== ... followed
GET /v1/me/following/contains?type=artist&ids={artist0}
as free-us
status 200
json [true]

=== save tracks with {"ids": [...]} still
PUT /v1/me/tracks
as free-us
body {"ids": ["{track1}"]}
status 200

=== a bare array with a malformed id is 400
PUT /v1/me/tracks
as free-us
body ["{track0}", "nope"]
status 400
error-contains ids[1]

=== a bare array of no ids is 400
PUT /v1/me/tracks
as free-us
body []
status 400
error-contains ids are required

=== a bare array holding a number is 400
PUT /v1/me/tracks
as free-us
body [42]
status 400
error-contains not a string

=== a JSON body that is neither is 400
PUT /v1/me/tracks
as free-us
body "{track0}"
status 400

=== ... and nothing was saved by the refusals
GET /v1/me/tracks/contains?ids={track0},{track1}
as free-us
status 200
json [false, true]

=== a playlist made at POST /v1/me/playlists
POST /v1/me/playlists
as free-us
body {"name": "From a library", "public": false}
status 201
json {"name": "From a library", "public": false, "owner": {"id": "free-us"}}

=== a radio seeded with a spotify: URI answers with Segue's
POST /v1/segue/radio
body {"seed": "spotify:track:{track0}", "limit": 2}
status 200
json {"seed": "segue:track:{track0}"}

=== a radio seed of another scheme is refused
POST /v1/segue/radio
body {"seed": "spotify:track:nope", "limit": 2}
status 404

=== queueing a URI that is no track URI is 400 whatever the scheme
POST /v1/me/player/queue?uri=spotify:album:{album0}
status 400

=== the library by URI: save a track and an album, follow an artist, in one request
PUT /v1/me/library?uris=spotify:track:{track2},segue:album:{album0},spotify:artist:{artist0}
as free-us
status 200

=== ... each in its collection
GET /v1/me/library/contains?uris=spotify:track:{track2},spotify:album:{album0},spotify:artist:{artist0},spotify:track:{track3}
as free-us
status 200
json [true, true, true, false]

=== ... as the collections' own doors see it
GET /v1/me/albums/contains?ids={album0}
as free-us
status 200
json [true]

=== the library by URI: remove
DELETE /v1/me/library?uris=spotify:album:{album0},spotify:track:{track2}
as free-us
status 200

=== ... removed
GET /v1/me/library/contains?uris=spotify:album:{album0},spotify:track:{track2}
as free-us
status 200
json [false, false]

=== the library by URI: an unknown track saves nothing
PUT /v1/me/library?uris=spotify:track:{track3},spotify:track:{unknown_id}
as free-us
status 404

=== ... nothing half-applied
GET /v1/me/library/contains?uris=spotify:track:{track3}
as free-us
status 200
json [false]

=== the library by URI: episodes are not Segue's
PUT /v1/me/library?uris=spotify:episode:{track0}
as free-us
status 400
error-contains track, album and artist

=== the library by URI: playlists are followed at their own door
PUT /v1/me/library?uris=spotify:playlist:{track0}
as free-us
status 400
error-contains /followers

=== the library by URI: uris is required
GET /v1/me/library/contains
as free-us
status 400
error-contains uris

=== the library by URI: at most 40
GET /v1/me/library/contains?uris=spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0},spotify:track:{track0}
as free-us
status 400
error-contains at most 40

=== recommendations: a bound on what Segue does not measure is refused, not ignored
GET /v1/recommendations?seed_genres=house&target_valence=0.9
status 400
error-contains does not measure valence

=== recommendations: the bounds it measures still work
GET /v1/recommendations?seed_genres=house&min_tempo=10&target_energy=0.5&limit=2
status 200
has tracks seeds

=== save tracks with timestamped_ids: each at its own time
PUT /v1/me/tracks
as free-us
body {"timestamped_ids": [{"id": "{track4}", "added_at": "2020-05-01T10:00:00Z"}, {"id": "{track5}", "added_at": "2021-06-02T11:30:00.250Z"}]}
status 200

=== ... listed by those times
GET /v1/me/tracks?limit=50
as free-us
status 200
json {"items": [{"track": {"id": "{track1}"}}, {"added_at": "2021-06-02T11:30:00Z", "track": {"id": "{track5}"}}, {"added_at": "2020-05-01T10:00:00Z", "track": {"id": "{track4}"}}]}

=== timestamped_ids: a time that is not UTC ISO 8601 is 400
PUT /v1/me/tracks
as free-us
body {"timestamped_ids": [{"id": "{track3}", "added_at": "2020-05-01 10:00"}]}
status 400
error-contains added_at

=== timestamped_ids: a future time is 400
PUT /v1/me/tracks
as free-us
body {"timestamped_ids": [{"id": "{track3}", "added_at": "2999-01-01T00:00:00Z"}]}
status 400
error-contains past time

=== an id with a NUL inside a bare array is 400, not the id before it
PUT /v1/me/tracks
as free-us
body ["{track3}\u0000x"]
status 400
