// An independent OpenSubsonic client against segue-server: the npm subsonic-api package,
// unchanged, driven by tests/subsonic_client.py. It reads one JSON object on stdin (the
// server's URL, credentials, the phase to run, and what the catalog says the answers must
// hold, as the driver read it from the Web API), and prints one JSON line per check:
// {"ok": bool, "name": ..., "detail": ...} or {"skip": reason, "name": ...}. Every JSON answer
// is also checked against the endpoint's schema in the OpenSubsonic specification
// (schema.mjs). Every request has a deadline.
import { SubsonicAPI } from "subsonic-api";
import { loadSchemas } from "./schema.mjs";

const REQUEST_MS = 15000;

function say(o) {
	process.stdout.write(JSON.stringify(o) + "\n");
}

function ok(cond, name, detail) {
	const o = { ok: !!cond, name };
	if (!cond && detail !== undefined)
		o.detail = typeof detail === "string" ? detail : JSON.stringify(detail).slice(0, 2000);
	say(o);
	return !!cond;
}

function eq(got, want, name) {
	const g = JSON.stringify(got), w = JSON.stringify(want);
	return ok(g === w, name, `got ${g}, want ${w}`);
}

async function readStdin() {
	const chunks = [];
	for await (const c of process.stdin)
		chunks.push(c);
	return JSON.parse(Buffer.concat(chunks).toString());
}

const cfg = await readStdin();
const schemas = loadSchemas(cfg.spec || undefined);
let schemaSkipSaid = false;

// A fetch that keeps the raw text of each JSON answer, so the schema sees what the server
// sent and not what the client library made of it (it turns dates into Date objects).
function recordingFetch(log) {
	return async (url, init) => {
		const ctl = new AbortController();
		const timer = setTimeout(() => ctl.abort(), REQUEST_MS);
		try {
			const r = await fetch(url, { ...init, signal: ctl.signal });
			const type = r.headers.get("content-type") || "";
			log.last = { url: String(url), method: init?.method || "GET", status: r.status, type,
				text: type.includes("json") ? await r.clone().text() : null };
			return r;
		} finally {
			clearTimeout(timer);
		}
	};
}

function client(auth, post = false) {
	const log = { last: null };
	const api = new SubsonicAPI({ url: cfg.url, auth, post, fetch: recordingFetch(log) });
	api.log = log;
	return api;
}

// Runs one call of api.method(args), checks its raw answer against the endpoint's schema, and
// returns the parsed subsonic-response (or null when the call threw, which is a failed check).
async function call(api, method, args, label) {
	const name = label || `${method}${api.post ? " (POST)" : ""}`;
	let res;
	try {
		res = await (args === undefined ? api[method]() : api[method](args));
	} catch (e) {
		ok(false, `${name}: the client got an answer`, String(e));
		return null;
	}
	const raw = api.log.last;
	const endpoint = raw ? new URL(raw.url).pathname.replace(/^.*\/rest\//, "").replace(/\.view$/, "") : method;
	if (raw?.text != null)
		checkSchema(endpoint, raw.text, name);
	return res;
}

function checkSchema(endpoint, text, name) {
	if (schemas.missing) {
		if (!schemaSkipSaid)
			say({ skip: schemas.missing, name: "schema checks" });
		schemaSkipSaid = true;
		return;
	}
	let json;
	try {
		json = JSON.parse(text);
	} catch (e) {
		ok(false, `${name}: the answer is JSON`, text.slice(0, 200));
		return;
	}
	let why;
	try {
		why = schemas.validate(endpoint, json);
	} catch (e) {
		why = String(e);
	}
	ok(why === null, `${name}: the answer matches the spec's schema for ${endpoint}`, why);
}

function succeeded(res, name) {
	return ok(res?.status === "ok", `${name}: status ok`, res);
}

function failedWith(res, code, name) {
	return ok(res?.status === "failed" && res?.error?.code === code, `${name}: error ${code}`, res);
}

const ids = (list) => (list || []).map((x) => x.id);
const sorted = (a) => [...a].sort();

const key = client({ apiKey: cfg.apiKey });
const keyPost = client({ apiKey: cfg.apiKey }, true);

const phases = {
	// The API key and the Subsonic password both work; what is refused is refused with the
	// spec's codes.
	async auth() {
		succeeded(await call(key, "ping"), "ping with an API key");
		succeeded(await call(keyPost, "ping"), "ping with an API key, as a form POST");
		const token = client({ username: cfg.user, password: cfg.password });
		succeeded(await call(token, "ping", undefined, "ping with u+t+s"), "ping with u+t+s");
		const wrong = client({ username: cfg.user, password: cfg.password + "x" });
		failedWith(await call(wrong, "ping", undefined, "ping with a wrong password"), 40, "a wrong password");
		const bad = client({ apiKey: "x".repeat(cfg.apiKey.length) });
		failedWith(await call(bad, "ping", undefined, "ping with a bad key"), 44, "a bad API key");
		// The client never sends u with apiKey: the spec's error 43 is asked for by hand.
		const u = new URL("rest/ping.view", cfg.url.endsWith("/") ? cfg.url : cfg.url + "/");
		for (const [k, v] of Object.entries({ apiKey: cfg.apiKey, u: cfg.user, v: "1.16.1", c: "t", f: "json" }))
			u.searchParams.set(k, v);
		const r = await recordingFetch({})(u, {});
		const text = await r.text();
		checkSchema("ping", text, "ping with u and apiKey");
		failedWith(JSON.parse(text)["subsonic-response"], 43, "u together with apiKey");
		const lic = await call(key, "getLicense");
		ok(lic?.license?.valid === true, "getLicense: the server is licensed", lic);
		const ext = await call(client({ apiKey: "none" }), "getOpenSubsonicExtensions");
		const names = (ext?.openSubsonicExtensions || []).map((e) => e.name);
		ok(names.includes("apiKeyAuthentication") && names.includes("formPost"),
		   "getOpenSubsonicExtensions without auth lists apiKeyAuthentication and formPost", names);
	},

	// The browsing endpoints, each answer against what the catalog holds.
	async browse() {
		const e = cfg.expect;
		const folders = (await call(key, "getMusicFolders"))?.musicFolders?.musicFolder || [];
		ok(folders.length >= 1, "getMusicFolders lists a folder", folders);
		const idx = (await call(key, "getIndexes"))?.indexes?.index || [];
		ok(idx.some((i) => (i.artist || []).some((a) => a.name === e.artistName)),
		   "getIndexes lists the album's artist", idx);
		const arts = (await call(key, "getArtists"))?.artists?.index || [];
		ok(arts.some((i) => (i.artist || []).some((a) => a.id === e.artistId && a.name === e.artistName)),
		   "getArtists lists the album's artist by id and name", arts);
		const artist = (await call(key, "getArtist", { id: e.artistId }))?.artist;
		ok(artist?.name === e.artistName && ids(artist?.album).includes(e.albumId),
		   "getArtist has the artist's name and album", artist);
		const dir = (await call(key, "getMusicDirectory", { id: (artist?.album || [])[0]?.parent || `ar-${e.artistId}` }))?.directory;
		ok(dir && (dir.child || []).some((x) => x.isDir && x.title === e.albumName),
		   "getMusicDirectory of the artist's folder has the album as a folder", dir);
		succeeded(await call(key, "getArtistInfo2", { id: e.artistId }), "getArtistInfo2");
		const album = (await call(key, "getAlbum", { id: e.albumId }))?.album;
		ok(album?.name === e.albumName && album?.artistId === e.artistId && album?.year === e.year,
		   "getAlbum has the album's name, artist and year", album);
		eq(ids(album?.song), e.albumSongs, "getAlbum has the playable songs in disc and track order");
		const song = (await call(key, "getSong", { id: e.albumSongs[0] }))?.song;
		ok(song?.title === e.songTitle && song?.albumId === e.albumId &&
		   song?.duration === Math.round(e.songMs / 1000), "getSong has the song's title, album and duration", song);
		const byName = (await call(key, "getAlbumList2", { type: "alphabeticalByName", size: 500 }))?.albumList2?.album || [];
		eq(byName.map((a) => a.name), [...e.albumNames].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })),
		   "getAlbumList2 alphabeticalByName lists every album with a playable song, by name");
		for (const type of ["random", "newest", "frequent", "recent", "alphabeticalByArtist"]) {
			const l = (await call(key, "getAlbumList2", { type, size: 500 }, `getAlbumList2 ${type}`))?.albumList2;
			ok(l && (type === "recent" || type === "frequent" || ids(l.album).length === e.albumNames.length),
			   `getAlbumList2 ${type} answers${type === "recent" || type === "frequent" ? "" : " every album"}`, l);
		}
		const byYear = (await call(key, "getAlbumList2", { type: "byYear", fromYear: e.year, toYear: e.year }, "getAlbumList2 byYear"))?.albumList2?.album;
		ok(ids(byYear).includes(e.albumId), "getAlbumList2 byYear has the album of that year", byYear);
		const byGenre = (await call(key, "getAlbumList2", { type: "byGenre", genre: e.genre }, "getAlbumList2 byGenre"))?.albumList2?.album;
		ok(ids(byGenre).includes(e.albumId), "getAlbumList2 byGenre has the album of that genre", byGenre);
		const starredList = (await call(key, "getAlbumList2", { type: "starred" }, "getAlbumList2 starred"))?.albumList2?.album;
		eq(sorted(ids(starredList)), sorted(e.starredAlbums), "getAlbumList2 starred has the starred albums");
		const random = (await call(key, "getRandomSongs", { size: 2 }))?.randomSongs?.song || [];
		ok(random.length === 2 && random.every((x) => e.playable.includes(x.id)),
		   "getRandomSongs gives two playable songs", random);
		const genres = (await call(key, "getGenres"))?.genres?.genre || [];
		ok(genres.some((g) => g.value === e.genre && g.songCount >= 1), "getGenres has the album's genre", genres);
		const found = (await call(key, "search3", { query: e.albumName }))?.searchResult3;
		ok(ids(found?.album).includes(e.albumId), "search3 finds the album by its name", found);
		const top = (await call(key, "getTopSongs", { artist: e.artistName }))?.topSongs?.song || [];
		ok(top.length >= 1 && top.every((x) => x.artistId === e.artistId), "getTopSongs has the artist's songs", top);
		succeeded(await call(key, "getSimilarSongs2", { id: e.artistId }), "getSimilarSongs2");
		const cover = album?.coverArt;
		if (cover) {
			const r = await key.getCoverArt({ id: cover, size: 64 });
			const bytes = new Uint8Array(await r.arrayBuffer());
			ok(r.status === 200 && /^image\/jpeg/.test(r.headers.get("content-type") || "") && bytes[0] === 0xff && bytes[1] === 0xd8,
			   "getCoverArt with size gives a JPEG", `${r.status} ${r.headers.get("content-type")} ${bytes.length} bytes`);
		}
		const lyr = (await call(key, "getLyricsBySongId", { id: e.albumSongs[0] }))?.lyricsList;
		ok(lyr && Array.isArray(lyr.structuredLyrics || []), "getLyricsBySongId answers a list of lyrics", lyr);
		const user = (await call(key, "getUser", { username: cfg.user }))?.user;
		ok(user?.username === cfg.user && user?.streamRole === true, "getUser has the user and their roles", user);
		const scan = (await call(key, "getScanStatus"))?.scanStatus;
		ok(typeof scan?.scanning === "boolean", "getScanStatus says whether a scan runs", scan);
		// This test's server watches no library folder (serve --library): it says so.
		const started = await call(key, "startScan");
		ok(started?.status === "failed" && started.error.code === 0 && /library folder/.test(started.error.message),
		   "startScan on a server without a library folder says there is none to scan", started);
	},

	// stream and download (the transcode branch's), under the Web API's licence.
	async media() {
		const e = cfg.expect;
		const free = client({ apiKey: e.freeKey });
		const got = async (api, method, args) => {
			const r = await api[method](args);
			const body = new Uint8Array(await r.arrayBuffer());
			return { r, body, type: r.headers.get("content-type") || "" };
		};
		const isOgg = (b) => String.fromCharCode(...b.slice(0, 4)) === "OggS";
		let g = await got(key, "stream", { id: e.song });
		ok(g.r.status === 200 && /^audio\/ogg/.test(g.type) && isOgg(g.body) && g.body.length === e.bytesVeryHigh,
		   "stream gives premium the stored very high Ogg", `${g.r.status} ${g.type} ${g.body.length} bytes, want ${e.bytesVeryHigh}`);
		g = await got(free, "stream", { id: e.song, maxBitRate: 320 });
		ok(g.r.status === 200 && isOgg(g.body) && g.body.length === e.bytesHigh,
		   "stream gives a free account asking 320 kbit/s the high Ogg, not very high",
		   `${g.r.status} ${g.type} ${g.body.length} bytes, want ${e.bytesHigh}`);
		g = await got(key, "stream", { id: e.song, format: "mp3", maxBitRate: 128 });
		ok(g.r.status === 200 && /^audio\/mpeg/.test(g.type) && g.body.length > 1000 &&
		   (String.fromCharCode(...g.body.slice(0, 3)) === "ID3" || (g.body[0] === 0xff && (g.body[1] & 0xe0) === 0xe0)),
		   "stream format=mp3 gives MP3", `${g.r.status} ${g.type} ${g.body.length} bytes`);
		g = await got(key, "stream", { id: e.blocked });
		let env = /json/.test(g.type) ? JSON.parse(new TextDecoder().decode(g.body))["subsonic-response"] : null;
		if (env)
			checkSchema("stream", new TextDecoder().decode(g.body), "stream of a market-blocked song");
		failedWith(env, 50, "stream of a song not licensed in the user's market");
		g = await got(key, "download", { id: e.song });
		ok(g.r.status === 200 && isOgg(g.body) && /attachment/.test(g.r.headers.get("content-disposition") || ""),
		   "download gives the stored file as an attachment", `${g.r.status} ${g.r.headers.get("content-disposition")}`);
	},

	async revoked() {
		failedWith(await call(key, "ping", undefined, "ping with a revoked key"), 44, "a revoked API key");
	},

	// star, unstar, getStarred2: the same collections as /v1/me/tracks, albums, following.
	async star() {
		const e = cfg.expect;
		succeeded(await call(key, "star", { id: e.songs, albumId: e.albums, artistId: e.artists }),
		          "star several songs, albums and artists");
		succeeded(await call(keyPost, "star", { id: e.songs[0] }), "star again what is starred");
		const res = await call(key, "getStarred2");
		const s = res?.starred2 || {};
		eq(sorted(ids(s.song)), sorted(e.songs), "getStarred2 has the starred songs");
		eq(sorted(ids(s.album)), sorted(e.albums), "getStarred2 has the starred albums");
		eq(sorted(ids(s.artist)), sorted(e.artists), "getStarred2 has the starred artists");
		const song = (s.song || []).find((x) => x.id === e.songs[0]);
		ok(song && song.title === e.songTitle && song.starred instanceof Date &&
		   Math.abs(song.starred - Date.now()) < 600000,
		   "a starred song carries its title and when it was starred", song);
		const album = (s.album || []).find((x) => x.id === e.albums[0]);
		ok(album && album.name === e.albumName, "a starred album carries its name", album);
		failedWith(await call(key, "star", { id: e.missing }, "star an unknown song"), 70, "star an unknown song");
		failedWith(await call(key, "star", {}, "star nothing"), 10, "star with no id");
	},

	async starredAfterWebApi() {
		const s = (await call(key, "getStarred2"))?.starred2 || {};
		ok(ids(s.song).includes(cfg.expect.webSaved), "a track saved over the Web API is starred", ids(s.song));
	},

	async unstar() {
		const e = cfg.expect;
		succeeded(await call(keyPost, "unstar", { id: e.songs, albumId: e.albums[0], artistId: e.artists }),
		          "unstar songs, an album and artists");
		const s = (await call(key, "getStarred2"))?.starred2 || {};
		eq(ids(s.song), [e.webSaved], "getStarred2 keeps only the song not unstarred");
		eq(ids(s.album), e.albums.slice(1), "getStarred2 keeps the album not unstarred");
		eq(ids(s.artist), [], "getStarred2 has no artists left");
	},

	// scrobble: a submission is a play, counted once however often it is sent.
	async scrobble() {
		const e = cfg.expect;
		succeeded(await call(key, "scrobble", { id: e.song, time: e.time, submission: true }),
		          "scrobble a submission");
		succeeded(await call(keyPost, "scrobble", { id: e.song, time: e.time, submission: true }),
		          "the same submission again (a retry)");
		succeeded(await call(key, "scrobble", { id: e.songs, time: e.time2, submission: true }),
		          "scrobble several songs at once");
		succeeded(await call(key, "scrobble", { id: e.nowPlaying, submission: false }),
		          "scrobble now playing");
		const now = (await call(key, "getNowPlaying"))?.nowPlaying?.entry || [];
		ok(now.length === 1 && now[0].id === e.nowPlaying && now[0].username === cfg.user &&
		   now[0].playerName === "subsonic-api" && now[0].minutesAgo === 0,
		   "getNowPlaying has the song the client said it plays, by that client", now);
		const theirs = (await call(client({ apiKey: e.otherKey }), "getNowPlaying"))?.nowPlaying;
		ok(theirs && !(theirs.entry || []).length, "another user's getNowPlaying does not list it", theirs);
		failedWith(await call(key, "scrobble", { id: e.missing, submission: true }, "scrobble an unknown song"),
		           70, "scrobble an unknown song");
		failedWith(await call(key, "scrobble", { id: e.blocked, time: e.time, submission: true },
		                      "scrobble a song not licensed in the user's market"),
		           50, "scrobble a market-blocked song");
	},

	// Playlists: the Web API's, owned and edited through either API.
	async playlists() {
		const e = cfg.expect;
		const made = await call(keyPost, "createPlaylist", { name: "Phone mix", songId: e.songs });
		const pl = made?.playlist;
		ok(pl && pl.name === "Phone mix" && pl.songCount === e.songs.length &&
		   JSON.stringify(ids(pl.entry)) === JSON.stringify(e.songs) && pl.owner === cfg.user,
		   "createPlaylist makes a playlist with the songs in order", pl);
		if (!pl)
			return;
		say({ note: "playlist", id: pl.id });
		const list = await call(key, "getPlaylists");
		ok(ids(list?.playlists?.playlist).includes(pl.id), "getPlaylists lists it");
		ok(ids(list?.playlists?.playlist).includes(e.webPlaylist), "getPlaylists lists one made over the Web API");
		succeeded(await call(key, "updatePlaylist", {
			playlistId: pl.id, name: "Phone mix 2", comment: "for the bus", public: false,
			songIdToAdd: [e.extra, e.extra], songIndexToRemove: [0, 2],
		}), "updatePlaylist renames, comments, adds and removes");
		const got = (await call(key, "getPlaylist", { id: pl.id }))?.playlist;
		const want = e.songs.filter((_, i) => i !== 0 && i !== 2).concat([e.extra, e.extra]);
		eq(ids(got?.entry), want, "getPlaylist has the songs after the update");
		ok(got && got.name === "Phone mix 2" && got.comment === "for the bus" && got.public === false &&
		   got.songCount === want.length && got.duration === got.entry.reduce((a, s) => a + s.duration, 0),
		   "getPlaylist has the new name, comment, visibility, count and duration", got);
		const replaced = (await call(key, "createPlaylist", { playlistId: pl.id, songId: [e.extra] }))?.playlist;
		eq(ids(replaced?.entry), [e.extra], "createPlaylist with playlistId replaces the songs");
		failedWith(await call(key, "updatePlaylist", { playlistId: pl.id, songIndexToRemove: [5] },
		                      "remove an index past the end"), 70, "removing a song index past the end");
		failedWith(await call(key, "getPlaylist", { id: e.missing }, "getPlaylist of an unknown id"), 70,
		           "getPlaylist of an unknown id");
		failedWith(await call(key, "createPlaylist", { songId: [e.extra] }, "createPlaylist without name"), 10,
		           "createPlaylist without a name or playlistId");
	},

	// Another user's key, on the first user's playlists.
	async otherUser() {
		const e = cfg.expect;
		const other = client({ apiKey: e.otherKey });
		failedWith(await call(other, "getPlaylist", { id: e.privatePlaylist }, "read another's private playlist"),
		           70, "another user's private playlist is not found");
		const pub = (await call(other, "getPlaylist", { id: e.publicPlaylist }, "read another's public playlist"))?.playlist;
		ok(pub && pub.owner === cfg.user && pub.public === true, "another user's public playlist can be read", pub);
		failedWith(await call(other, "updatePlaylist", { playlistId: e.publicPlaylist, name: "mine now" },
		                      "update another's public playlist"), 50, "updating another user's playlist");
		failedWith(await call(other, "createPlaylist", { playlistId: e.publicPlaylist, songId: [e.extra] },
		                      "replace another's playlist's songs"), 50, "replacing another user's playlist's songs");
		failedWith(await call(other, "deletePlaylist", { id: e.publicPlaylist }, "delete another's playlist"),
		           50, "deleting another user's playlist");
		const theirs = await call(other, "getPlaylists");
		ok(!ids(theirs?.playlists?.playlist).includes(e.privatePlaylist),
		   "another user's getPlaylists does not list a private playlist of the first");
	},

	async deletePlaylist() {
		succeeded(await call(key, "deletePlaylist", { id: cfg.expect.playlist }), "deletePlaylist");
		failedWith(await call(key, "getPlaylist", { id: cfg.expect.playlist }, "getPlaylist after delete"), 70,
		           "a deleted playlist is not found");
	},

	// The play queue is Connect's: what the terminal plays is what the phone picks up.
	async queueRead() {
		const e = cfg.expect;
		const q = (await call(key, "getPlayQueue"))?.playQueue;
		eq(q?.current, e.current, "getPlayQueue's current song is the one the terminal plays");
		eq(ids(q?.entry), e.entries, "getPlayQueue's songs are the terminal's queue in play order");
		ok(q && q.position >= e.minPosition && q.position <= e.maxPosition,
		   `getPlayQueue's position is the terminal's (${e.minPosition}..${e.maxPosition} ms)`, q?.position);
		ok(q && q.username === cfg.user && q.changedBy === e.changedBy,
		   "getPlayQueue says whose queue and which device changed it", q);
	},

	async queueSave() {
		const e = cfg.expect;
		succeeded(await call(keyPost, "savePlayQueue", { id: e.entries, current: e.current, position: e.position }),
		          "savePlayQueue");
		const q = (await call(key, "getPlayQueue"))?.playQueue;
		eq(q?.current, e.current, "getPlayQueue gives back the saved current song");
		eq(ids(q?.entry), e.entries, "getPlayQueue gives back the saved songs");
		eq(q?.position, e.position, "getPlayQueue gives back the saved position");
		ok(q && q.changedBy === "subsonic-api", "the saved queue was changed by the client (c=)", q?.changedBy);
		failedWith(await call(key, "savePlayQueue", { id: e.entries, current: e.missing, position: 0 },
		                      "savePlayQueue with a current song not in it"), 0, "a current song not in the queue");
		failedWith(await call(key, "savePlayQueue", { id: [e.missing], current: e.missing, position: 0 },
		                      "savePlayQueue with an unknown song"), 70, "an unknown song in the queue");
	},

	async queueEmpty() {
		const q = (await call(key, "getPlayQueue"))?.playQueue;
		ok(q && q.username === cfg.user && !q.current && !(q.entry || []).length,
		   "getPlayQueue with nothing played answers an empty queue", q);
	},
};

const names = cfg.phases || [cfg.phase];
for (const p of names) {
	if (!phases[p]) {
		ok(false, `phase ${p} exists`);
		continue;
	}
	try {
		await phases[p]();
	} catch (e) {
		ok(false, `phase ${p} ran to its end`, String(e.stack || e));
	}
}
