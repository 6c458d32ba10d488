# Catalog objects in the Spotify Web API's shapes.

=== a track by id
GET /v1/tracks/{track0}
status 200
json {"type": "track", "id": "{track0}", "uri": "segue:track:{track0}", "is_local": false}
has name duration_ms disc_number track_number explicit popularity href artists.0.id artists.0.uri album.id album.release_date album.release_date_precision album.artists.0.name available_markets external_urls preview_url
json {"album": {"type": "album", "images": []}}

=== a track with a market says whether it plays there
GET /v1/tracks/{track0}?market=US
status 200
json {"is_playable": true}
absent available_markets

=== market=from_token uses the account's country
GET /v1/tracks/{track_not_jp}?market=from_token
as premium-jp
status 200
json {"is_playable": false, "restrictions": {"reason": "market"}}

=== an unknown track is 404 with an error object
GET /v1/tracks/{unknown_id}
status 404
json {"error": {"status": 404}}
error-contains no track

=== a malformed track id is 400
GET /v1/tracks/not-an-id
status 400
json {"error": {"status": 400}}
error-contains invalid track id

=== a malformed market is 400
GET /v1/tracks/{track0}?market=usa
status 400
error-contains market

=== several tracks; unknown ids are null
GET /v1/tracks?ids={track0},{unknown_id},{track1}
status 200
count tracks 3
json {"tracks": [{"id": "{track0}"}, null, {"id": "{track1}"}]}

=== more than 50 ids is 400
GET /v1/tracks?ids={track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0},{track0}
status 400
error-contains at most 50

=== ids must be given
GET /v1/tracks
status 400
error-contains ids

=== a malformed id in a list is 400
GET /v1/tracks?ids={track0},bad
status 400
error-contains invalid id

=== an album with its first page of tracks
GET /v1/albums/{album0}
status 200
json {"type": "album", "id": "{album0}", "uri": "segue:album:{album0}"}
has name album_type total_tracks release_date release_date_precision artists.0.name tracks.items.0.id tracks.total tracks.limit tracks.offset tracks.href genres popularity label copyrights available_markets
absent tracks.items.0.album

=== album tracks page with limit and offset
GET /v1/albums/{album0}/tracks?limit=1&offset=1
status 200
json {"limit": 1, "offset": 1, "total": 3}
count items 1
has href next previous items.0.track_number

=== album tracks: first page has no previous
GET /v1/albums/{album0}/tracks?limit=2
status 200
json {"previous": null, "offset": 0, "limit": 2}
has next

=== album tracks: last page has no next
GET /v1/albums/{album0}/tracks?limit=2&offset=2
status 200
json {"next": null}
count items 1

=== album tracks limit out of range
GET /v1/albums/{album0}/tracks?limit=51
status 400
error-contains limit

=== album tracks of an unknown album
GET /v1/albums/{unknown_id}/tracks
status 404

=== several albums
GET /v1/albums?ids={album0},{unknown_id}
status 200
json {"albums": [{"id": "{album0}"}, null]}

=== more than 20 albums is 400
GET /v1/albums?ids={album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0},{album0}
status 400
error-contains at most 20

=== an artist
GET /v1/artists/{artist0}
status 200
json {"type": "artist", "id": "{artist0}", "uri": "segue:artist:{artist0}", "followers": {"total": 0}}
has name genres genres.0 popularity images href

=== an unknown artist
GET /v1/artists/{unknown_id}
status 404

=== an artist's albums, paged
GET /v1/artists/{artist0}/albums?limit=1
status 200
json {"limit": 1, "offset": 0}
count items 1
has total items.0.album_group items.0.album_type

=== an artist's albums filtered to compilations (none)
GET /v1/artists/{artist0}/albums?include_groups=compilation
status 200
json {"total": 0}

=== an artist's albums with an unknown group
GET /v1/artists/{artist0}/albums?include_groups=bootleg
status 400

=== an artist's top tracks in the account's market
GET /v1/artists/{artist0}/top-tracks
status 200
has tracks.0.id tracks.0.album.name
each tracks is_playable true

=== top tracks only lists what plays in the market
GET /v1/artists/{artist0}/top-tracks?market=JP
status 200
each tracks is_playable true

=== a track says whether it has lyrics (the demo catalog has none)
GET /v1/tracks/{track0}
status 200
json {"segue": {"has_lyrics": false}}

=== so do an album's tracks
GET /v1/albums/{album0}/tracks
status 200
each items segue.has_lyrics false

=== a track tells its file's path under the library folder, for M3U playlists
GET /v1/tracks/{track0}
status 200
has segue.path

=== a track without lyrics: 404 with an error object
GET /v1/segue/lyrics/{track0}
status 404
json {"error": {"status": 404}}
error-contains no lyrics

=== lyrics of an unknown track: 404
GET /v1/segue/lyrics/{unknown_id}
status 404
error-contains no track

=== lyrics of a malformed id: 400
GET /v1/segue/lyrics/not-an-id
status 400
error-contains invalid track id

=== lyrics need a token
GET /v1/segue/lyrics/{track0}
as nobody
status 401
