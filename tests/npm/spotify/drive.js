// Drives segue-server through spotify-web-api-node, unchanged, as a program written for
// Spotify would: tests/spotify_client.py starts the server, makes the fixture and reads the
// results, one JSON line per check on stdout ({"ok", "name", "detail"}).
//
// The library has no base URL option: every request starts from the builder in its
// src/webapi-request.js (https://api.spotify.com:443). Wrapping that exported builder aims
// each request at Segue without touching the library's files.
'use strict';

const port = Number(process.env.SEGUE_PORT);
const fx = JSON.parse(process.env.SEGUE_FIXTURE);

const WebApiRequest = require('spotify-web-api-node/src/webapi-request');
const spotifyBuilder = WebApiRequest.builder;
WebApiRequest.builder = (token) =>
  spotifyBuilder(token).withScheme('http').withHost('127.0.0.1').withPort(port);
const SpotifyWebApi = require('spotify-web-api-node');

const api = new SpotifyWebApi();
api.setAccessToken(process.env.SEGUE_TOKEN);

function report(ok, name, detail) {
  process.stdout.write(JSON.stringify({ ok: !!ok, name, detail: ok ? undefined : detail }) + '\n');
}

// Runs one call; check(body, response) says whether it answered as it must.
async function call(name, fn, check) {
  try {
    const res = await fn();
    let ok = false;
    try {
      ok = check(res.body, res);
    } catch (e) {
      ok = false;
    }
    report(ok, name, { status: res.statusCode, body: res.body });
    return res;
  } catch (e) {
    report(false, name, { status: e.statusCode, error: String(e.message || e), body: e.body });
    return null;
  }
}

// A call that must fail with this status.
async function refused(name, fn, status, text) {
  try {
    const res = await fn();
    report(false, name, { unexpected: res.statusCode, body: res.body });
  } catch (e) {
    const msg = e.body && e.body.error && e.body.error.message;
    const ok = e.statusCode === status && (!text || (msg || '').includes(text));
    report(ok, name, { status: e.statusCode, body: e.body });
  }
}

const ids = (list) => list.map((x) => x && x.id);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const segue = (kind, id) => 'segue:' + kind + ':' + id;
const spotify = (kind, id) => 'spotify:' + kind + ':' + id;

async function catalog() {
  const t = fx.tracks, al = fx.albums, ar = fx.artists;
  await call('getMe', () => api.getMe(), (b) => b.id === fx.user && b.type === 'user' && b.uri === segue('user', fx.user));
  await call('getTrack', () => api.getTrack(t[0].id), (b) => b.id === t[0].id && b.uri === segue('track', t[0].id) && b.album.id === t[0].album);
  await call('getTrack with a market', () => api.getTrack(t[0].id, { market: 'US' }), (b) => b.is_playable === true);
  await call('getTracks', () => api.getTracks([t[0].id, fx.unknown, t[1].id]), (b) => same(ids(b.tracks), [t[0].id, undefined, t[1].id]) && b.tracks[1] === null);
  await call('getAlbum', () => api.getAlbum(al[0]), (b) => b.id === al[0] && b.tracks.items.length > 0);
  await call('getAlbums', () => api.getAlbums([al[0], al[1]]), (b) => same(ids(b.albums), [al[0], al[1]]));
  await call('getAlbumTracks, paged', () => api.getAlbumTracks(al[0], { limit: 1, offset: 0 }), (b) => b.items.length === 1 && b.limit === 1 && b.total >= 1);
  await call('getArtist', () => api.getArtist(ar[0]), (b) => b.id === ar[0] && b.type === 'artist');
  await call('getArtists', () => api.getArtists([ar[0], ar[1], fx.unknown]), (b) => same(ids(b.artists), [ar[0], ar[1], undefined]) && b.artists[2] === null);
  await call('getArtistAlbums', () => api.getArtistAlbums(ar[0], { include_groups: 'album,single', limit: 10 }), (b) => b.items.length > 0 && b.items.every((a) => a.album_group === 'album' || a.album_group === 'single'));
  await call('getArtistTopTracks', () => api.getArtistTopTracks(ar[0], 'US'), (b) => b.tracks.length > 0 && b.tracks.every((x) => x.artists.some((a) => a.id === ar[0])));
  await call('getArtistRelatedArtists', () => api.getArtistRelatedArtists(ar[0]), (b) => Array.isArray(b.artists) && b.artists.length > 0 && b.artists.every((a) => a.type === 'artist' && a.id !== ar[0]) && new Set(ids(b.artists)).size === b.artists.length);
  await call('search (the library sends /v1/search/)', () => api.search(fx.search, ['track', 'artist'], { limit: 5 }), (b) => b.tracks.items.length > 0 && 'artists' in b);
  await call('searchTracks', () => api.searchTracks(fx.search, { limit: 3 }), (b) => b.tracks.items.length > 0 && b.tracks.limit === 3);
  await call('searchAlbums', () => api.searchAlbums(fx.search_album), (b) => b.albums.items.length > 0);
  await call('searchArtists', () => api.searchArtists(fx.search_artist), (b) => b.artists.items.some((a) => a.id === ar[0]));
  await call('searchPlaylists', () => api.searchPlaylists('zzzz'), (b) => Array.isArray(b.playlists.items));
  await call('getNewReleases', () => api.getNewReleases({ limit: 1, offset: 0 }), (b) => b.albums.items.length === 1 && b.albums.total === fx.album_count && b.albums.items[0].id === fx.newest_album && b.albums.next !== null);
  await call('getNewReleases, second page', () => api.getNewReleases({ limit: 1, offset: 1, country: 'JP' }), (b) => b.albums.offset === 1 && b.albums.items.length === 1 && b.albums.items.every((a) => Array.isArray(a.available_markets)));
  await call('getUser', () => api.getUser(fx.other_user), (b) => b.id === fx.other_user && b.type === 'user' && b.uri === segue('user', fx.other_user) && b.followers.total === 0);
  await call('getAudioFeaturesForTrack', () => api.getAudioFeaturesForTrack(t[0].id), (b) => b.id === t[0].id && typeof b.tempo === 'number');
  await call('getAudioFeaturesForTracks', () => api.getAudioFeaturesForTracks([t[0].id, t[1].id]), (b) => same(ids(b.audio_features), [t[0].id, t[1].id]));
  await call('getRecommendations', () => api.getRecommendations({ seed_tracks: [t[0].id], limit: 5 }), (b) => b.tracks.length > 0 && !ids(b.tracks).includes(t[0].id));
  await call('getAvailableGenreSeeds', () => api.getAvailableGenreSeeds(), (b) => b.genres.length > 0);
}

async function library() {
  const t = fx.tracks, al = fx.albums, ar = fx.artists;
  // {"ids": [...]} for tracks; a bare JSON array for albums: both as the library sends them.
  await call('addToMySavedTracks ({"ids": [...]})', () => api.addToMySavedTracks([t[0].id, t[1].id]), (b, r) => r.statusCode === 200);
  await call('containsMySavedTracks', () => api.containsMySavedTracks([t[0].id, t[2].id, t[1].id]), (b) => same(b, [true, false, true]));
  await call('getMySavedTracks', () => api.getMySavedTracks({ limit: 1 }), (b) => b.total === 2 && b.items.length === 1 && b.items[0].track.id === t[1].id && b.next);
  await call('removeFromMySavedTracks', () => api.removeFromMySavedTracks([t[1].id]), (b, r) => r.statusCode === 200);
  await call('... gone', () => api.containsMySavedTracks([t[0].id, t[1].id]), (b) => same(b, [true, false]));
  await call('addToMySavedAlbums (a bare array)', () => api.addToMySavedAlbums([al[0], al[1]]), (b, r) => r.statusCode === 200);
  await call('containsMySavedAlbums', () => api.containsMySavedAlbums([al[0], al[1], al[2]]), (b) => same(b, [true, true, false]));
  await call('getMySavedAlbums', () => api.getMySavedAlbums({ limit: 5 }), (b) => b.total === 2 && same(b.items.map((x) => x.album.id), [al[1], al[0]]));
  await call('removeFromMySavedAlbums (a bare array)', () => api.removeFromMySavedAlbums([al[0]]), (b, r) => r.statusCode === 200);
  await call('... gone', () => api.containsMySavedAlbums([al[0], al[1]]), (b) => same(b, [false, true]));
  await call('followArtists', () => api.followArtists([ar[0], ar[1]]), (b, r) => r.statusCode === 204);
  await call('isFollowingArtists', () => api.isFollowingArtists([ar[0], ar[2]]), (b) => same(b, [true, false]));
  await call('getFollowedArtists', () => api.getFollowedArtists({ limit: 1 }), (b) => b.artists.total === 2 && b.artists.items.length === 1 && b.artists.cursors.after);
  await call('unfollowArtists', () => api.unfollowArtists([ar[1]]), (b, r) => r.statusCode === 204);
  await call('... gone', () => api.isFollowingArtists([ar[0], ar[1]]), (b) => same(b, [true, false]));
  await refused('followUsers: Segue has no following of users', () => api.followUsers([fx.other_user]), 400, 'type must be artist');
}

async function personal() {
  const top = fx.top;
  await call('getMyTopTracks (medium_term, the default)', () => api.getMyTopTracks(), (b) => same(ids(b.items), top.medium) && b.total === top.medium.length);
  await call('getMyTopTracks short_term', () => api.getMyTopTracks({ time_range: 'short_term' }), (b) => same(ids(b.items), top.short));
  await call('getMyTopTracks long_term, paged', () => api.getMyTopTracks({ time_range: 'long_term', limit: 2, offset: 1 }), (b) => same(ids(b.items), top.long.slice(1, 3)) && b.total === top.long.length && b.offset === 1 && b.previous && b.next);
  await call('getMyTopArtists long_term', () => api.getMyTopArtists({ time_range: 'long_term' }), (b) => same(ids(b.items), top.artists_long) && b.items.every((a) => a.type === 'artist'));
  await refused('getMyTopTracks with a bad time_range', () => api.getMyTopTracks({ time_range: 'forever' }), 400, 'time_range');
  await call('getMyRecentlyPlayedTracks', () => api.getMyRecentlyPlayedTracks({ limit: 2 }), (b) => b.items.length === 2 && b.items[0].track.id === top.latest);
}

async function playlists() {
  const t = fx.tracks;
  const made = await call('createPlaylist (POST /v1/me/playlists)', () => api.createPlaylist('Road trip', { description: 'made by a Spotify library', public: false }), (b, r) => r.statusCode === 201 && b.name === 'Road trip' && b.public === false && b.owner.id === fx.user);
  if (!made) return;
  const pl = made.body.id;
  await call('addTracksToPlaylist with spotify: URIs', () => api.addTracksToPlaylist(pl, [spotify('track', t[0].id), spotify('track', t[1].id), segue('track', t[2].id)]), (b, r) => r.statusCode === 201 && b.snapshot_id);
  await call('getPlaylistTracks: answers keep segue: URIs', () => api.getPlaylistTracks(pl, { limit: 10 }), (b) => same(b.items.map((x) => x.track.uri), [segue('track', t[0].id), segue('track', t[1].id), segue('track', t[2].id)]));
  await call('reorderTracksInPlaylist', () => api.reorderTracksInPlaylist(pl, 2, 0), (b) => !!b.snapshot_id);
  await call('... reordered', () => api.getPlaylistTracks(pl), (b) => same(b.items.map((x) => x.track.id), [t[2].id, t[0].id, t[1].id]));
  await call('removeTracksFromPlaylist with a spotify: URI', () => api.removeTracksFromPlaylist(pl, [{ uri: spotify('track', t[0].id) }]), (b) => !!b.snapshot_id);
  const got = await call('getPlaylist', () => api.getPlaylist(pl), (b) => b.id === pl && same(b.tracks.items.map((x) => x.track.id), [t[2].id, t[1].id]));
  await refused('removeTracksFromPlaylistByPosition (positions without URIs: gone from the reference)', () => api.removeTracksFromPlaylistByPosition(pl, [0], got ? got.body.snapshot_id : 'x'), 400, 'tracks');
  await call('replaceTracksInPlaylist with spotify: URIs', () => api.replaceTracksInPlaylist(pl, [spotify('track', t[3].id)]), (b, r) => r.statusCode === 200 || r.statusCode === 201);
  await call('... replaced', () => api.getPlaylistTracks(pl), (b) => same(b.items.map((x) => x.track.id), [t[3].id]));
  await call('changePlaylistDetails', () => api.changePlaylistDetails(pl, { name: 'Road trip II' }), (b, r) => r.statusCode === 200);
  await call('getUserPlaylists (mine)', () => api.getUserPlaylists(), (b) => b.items.some((p) => p.id === pl && p.name === 'Road trip II'));
  await call('getUserPlaylists of another user: public ones only', () => api.getUserPlaylists(fx.other_user), (b) => same(b.items.map((p) => p.id), [fx.other_playlist]));
  await call('followPlaylist', () => api.followPlaylist(fx.other_playlist), (b, r) => r.statusCode === 200);
  await call('areFollowingPlaylist (the old user-scoped path)', () => api.areFollowingPlaylist(fx.other_user, fx.other_playlist, [fx.user]), (b) => same(b, [true]));
  await call('unfollowPlaylist', () => api.unfollowPlaylist(fx.other_playlist), (b, r) => r.statusCode === 200);
  await call('... unfollowed', () => api.areFollowingPlaylist(fx.other_user, fx.other_playlist, [fx.user]), (b) => same(b, [false]));
  await call('uploadCustomPlaylistCoverImage', () => api.uploadCustomPlaylistCoverImage(pl, fx.jpeg_base64), (b, r) => r.statusCode === 202);
}

async function player() {
  const t = fx.tracks;
  await call('getMyDevices', () => api.getMyDevices(), (b) => b.devices.some((d) => d.id === fx.device));
  await call('transferMyPlayback', () => api.transferMyPlayback([fx.device], { play: false }), (b, r) => r.statusCode === 204);
  await call('play with spotify: URIs', () => api.play({ uris: [spotify('track', t[0].id), spotify('track', t[1].id)], offset: { uri: spotify('track', t[1].id) } }), (b, r) => r.statusCode === 204);
  await call('play a spotify: context', () => api.play({ context_uri: spotify('album', fx.albums[0]), device_id: fx.device }), (b, r) => r.statusCode === 204);
  await call('addToQueue with a spotify: URI', () => api.addToQueue(spotify('track', t[2].id)), (b, r) => r.statusCode === 204);
  await call('pause', () => api.pause(), (b, r) => r.statusCode === 204);
  await call('seek', () => api.seek(1000), (b, r) => r.statusCode === 204);
  await call('setVolume', () => api.setVolume(40), (b, r) => r.statusCode === 204);
  await call('setShuffle', () => api.setShuffle(true), (b, r) => r.statusCode === 204);
  await call('setRepeat', () => api.setRepeat('context'), (b, r) => r.statusCode === 204);
  await call('skipToNext', () => api.skipToNext(), (b, r) => r.statusCode === 204);
  await call('skipToPrevious', () => api.skipToPrevious(), (b, r) => r.statusCode === 204);
  await call('getMyCurrentPlaybackState', () => api.getMyCurrentPlaybackState(), (b, r) => r.statusCode === 200 && b.device.id === fx.device);
  await call('getMyCurrentPlayingTrack', () => api.getMyCurrentPlayingTrack(), (b, r) => r.statusCode === 200 && b.item && b.item.type === 'track');
}

async function refusals() {
  await refused('a malformed id is 400', () => api.getTrack('not-an-id'), 400, 'invalid');
  await refused('an unknown id is 404', () => api.getArtist(fx.unknown), 404, 'no artist');
  await refused('related artists of an unknown artist is 404', () => api.getArtistRelatedArtists(fx.unknown), 404);
  await refused('an unknown user is 404', () => api.getUser('nobody-by-this-name'), 404, 'no user');
  await refused('a malformed id in a bare array is 400', () => api.addToMySavedAlbums(['nope']), 400, 'invalid id');
  await refused("another user's playlist is 403", () => api.addTracksToPlaylist(fx.other_playlist, [spotify('track', fx.tracks[0].id)]), 403);
  await refused('a spotify: URI of an unknown track is 400', () => api.addTracksToPlaylist(fx.own_playlist, [spotify('track', fx.unknown)]), 400, 'no track');
  await refused('a spotify: URI of another kind is 400', () => api.addTracksToPlaylist(fx.own_playlist, [spotify('album', fx.albums[0])]), 400, 'not a track URI');
  await refused('an endpoint Segue has no data for is 404', () => api.getFeaturedPlaylists(), 404);
  await refused('audio analysis is absent: 404', () => api.getAudioAnalysisForTrack(fx.tracks[0].id), 404);
  const anon = new SpotifyWebApi();
  await refused('no token is 401', () => anon.getMe(), 401);
  anon.setAccessToken('not-a-token');
  await refused('a bad token is 401', () => anon.getTrack(fx.tracks[0].id), 401);
}

(async () => {
  const part = process.argv[2];
  const parts = { catalog, library, personal, playlists, player, refusals };
  if (!parts[part]) {
    report(false, 'unknown part ' + part);
    process.exit(2);
  }
  await parts[part]();
})().catch((e) => {
  report(false, 'the driver failed', String(e && e.stack || e));
  process.exit(1);
});
