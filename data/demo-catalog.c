#include "config.h"
#include "demo-catalog.h"

#include "demo-rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Invented names. Every ambient and bossa artist carries a diacritic and every house artist
 * some punctuation, so any seed exercises search normalisation. */
static const char *const artist_names[G_COUNT][8] = {
	[G_HOUSE] = { "Mr. Bright", "Dr. Velvet", "Kade & Lumen", "Ms. Midnight", "Sol-Tech",
		      "Pallas & Rue", "Mr. Hollow", "Nite.Shift" },
	[G_HIPHOP] = { "Lil' Ember", "MC Paragraph", "Kofi the Architect", "Young Saturn",
		       "Big Vesper", "J. Marlow", "Duke Cipher", "Rashad & the Nightwatch" },
	[G_JAZZ] = { "Ana Kovač Quartet", "The Milo Barnes Trio", "Esther Laine Quintet",
		     "Théo Marchand Trio", "Nils Brandt Ensemble", "The Odell Parker Four",
		     "Rosa Ibáñez Trio", "Lionel Shaw Sextet" },
	[G_AMBIENT] = { "Sigur Ósk", "Hljóðvík", "Ødegård", "Fjärran", "Nordljós", "Älvdal",
			"Kaldá", "Søren Mørk" },
	[G_ROCK] = { "The Paper Lanterns", "Rust Harbor", "Velvet Static", "The Low Tides",
		     "Copperhead Motel", "Northbound!", "Feral Hearts", "Sorry, Mom" },
	[G_BOSSA] = { "João Serrano", "Luíza Mar", "Conceição Azul", "Trio Ipê", "Antônio Brisa",
		      "Marília Sol", "Sérgio Vento", "Quarteto Maré" },
};

static const char *const album_names[G_COUNT][12] = {
	[G_HOUSE] = { "Late Night Tools", "Warehouse Hours", "Deep Cuts Vol. 1", "Sunrise Edits",
		      "Afterparty", "Club Versions", "Basement Sessions", "Velvet Rooms",
		      "Strobe & Shadow", "Higher Ground", "Side B", "Dub Plates" },
	[G_HIPHOP] = { "Tapes From the Basement", "B-Sides & Loose Ends", "Concrete Gardens",
		       "Midnight Loops", "The Long Way Home", "Static on the Radio",
		       "Paper Planes & Pavement", "Cold Coffee", "Rooftop Stories", "Vinyl Dust",
		       "No Sleep 'til Sunday", "Block Party Minutes" },
	[G_JAZZ] = { "Live at the Blue Lantern", "Standards, Vol. 2", "Blue in the Afternoon",
		     "Round About Eight", "Night Train Sketches", "Porch Light Ballads",
		     "Quiet Fire", "Smoke & Mirrors", "Café Society", "Brass Tacks", "The Late Set",
		     "Autumn Changes" },
	[G_AMBIENT] = { "Ljós og Myrkur", "Stillness", "Frost Patterns", "Tide Charts",
			"Slow Weather", "Hafið", "Distant Shores", "Northern Drift",
			"Breath of Ice", "Vetrarnótt", "Field Recordings", "Glacial" },
	[G_ROCK] = { "Loud Enough", "Ghosts of '99", "Highway Static", "Broken Compass",
		     "Neon & Rust", "Small Town Fire", "Turn It Up!", "Paper Thin Walls",
		     "Summer Riot", "Backseat Anthems", "Midnight Garage", "Second Gear" },
	[G_BOSSA] = { "Noites de Verão", "Canção do Mar", "Sol de Ipanema", "Saudade",
		      "Brisa da Manhã", "Café com Leite", "Águas Claras", "Meia-Noite",
		      "Janela Aberta", "Tarde em Copacabana", "Coração Leve", "Samba de Outono" },
};

static const char *const adjs[] = {
	"Golden", "Silent", "Electric", "Broken", "Hidden", "Endless", "Velvet", "Neon",
	"Lonely", "Bright", "Distant", "Wild", "Quiet", "Burning", "Midnight", "Crystal",
	"Faded", "Restless", "Sweet", "Cold",
};
static const char *const nouns[] = {
	"Light", "River", "Signal", "Heart", "Skyline", "Garden", "Echo", "Highway", "Ocean",
	"Fire", "Shadow", "Window", "Letter", "Dream", "Mirror", "Summer", "Engine", "Harbor",
	"Avenue", "Machine",
};
static const char *const verbs[] = {
	"Chase", "Follow", "Hold", "Find", "Leave", "Call", "Break", "Carry", "Keep", "Wake",
};
static const char *const people[] = {
	"Clara", "Odette", "Ruby", "Leon", "Mina", "Hugo", "Ines", "Marcel",
};
static const char *const nordic[] = {
	"Ljós", "Snjór", "Dögun", "Kyrrð", "Hafið", "Norðurljós", "Fjörður", "Vindur", "Þögn",
	"Jökull", "Myrkur", "Stjörnur",
};
static const char *const portuguese[] = {
	"Mar", "Sol", "Lua", "Brisa", "Verão", "Coração", "Manhã", "Estrela", "Canção", "Areia",
	"Saudade", "Janela", "Tarde", "Noite", "Chuva", "Praia",
};
static const char *const hiphop_titles[] = {
	"24/7", "Headphones On", "Back 2 Back", "Real Talk", "Cold Brew", "Summer '04",
	"Late Fees", "Corner Store",
};
static const char *const rock_titles[] = {
	"Rock 'n' Roll Tuesday", "Turn It Up!", "Where Did the Summer Go?", "Don't Look Back",
	"Hey, Operator", "Gasoline & Matches",
};
static const char *const guests[] = {
	"Nia Blue", "K. Oduya", "Santi Rivera", "Yuki Mori",
};

static void english_title(struct rng *r, char *out, size_t size)
{
	switch (rng_below(r, 8)) {
	case 0:
	case 1:
		snprintf(out, size, "%s %s", rng_pick(r, adjs), rng_pick(r, nouns));
		break;
	case 2:
		snprintf(out, size, "%s", rng_pick(r, nouns));
		break;
	case 3:
		snprintf(out, size, "%s the %s", rng_pick(r, verbs), rng_pick(r, nouns));
		break;
	case 4:
		snprintf(out, size, "The %s %s", rng_pick(r, adjs), rng_pick(r, nouns));
		break;
	case 5: {
		const char *a = rng_pick(r, nouns), *b = rng_pick(r, nouns);

		if (a == b)
			b = a == nouns[0] ? nouns[1] : nouns[0];
		snprintf(out, size, "%s & %s", a, b);
		break;
	}
	case 6:
		snprintf(out, size, "%s %s (Interlude)", rng_pick(r, adjs), rng_pick(r, nouns));
		break;
	default:
		snprintf(out, size, "Don't %s the %s", rng_pick(r, verbs), rng_pick(r, nouns));
		break;
	}
}

static void title_gen(struct rng *r, enum genre g, char *out, size_t size)
{
	double u = rng_unit(r);

	switch (g) {
	case G_HOUSE:
		if (u < 0.2)
			snprintf(out, size, "%s %s (Club Mix)", rng_pick(r, adjs), rng_pick(r, nouns));
		else if (u < 0.3)
			snprintf(out, size, "%s (Extended Mix)", rng_pick(r, nouns));
		else
			english_title(r, out, size);
		break;
	case G_HIPHOP:
		if (u < 0.3)
			snprintf(out, size, "%s", rng_pick(r, hiphop_titles));
		else
			english_title(r, out, size);
		break;
	case G_JAZZ:
		if (u < 0.12)
			snprintf(out, size, "Blues for %s", rng_pick(r, people));
		else if (u < 0.24)
			snprintf(out, size, "Waltz for %s", rng_pick(r, people));
		else if (u < 0.36)
			snprintf(out, size, "%s's %s", rng_pick(r, people), rng_pick(r, nouns));
		else
			english_title(r, out, size);
		break;
	case G_AMBIENT:
		if (u < 0.35)
			snprintf(out, size, "%s", rng_pick(r, nordic));
		else if (u < 0.5)
			snprintf(out, size, "%s II", rng_pick(r, nordic));
		else
			english_title(r, out, size);
		break;
	case G_ROCK:
		if (u < 0.25)
			snprintf(out, size, "%s", rng_pick(r, rock_titles));
		else
			english_title(r, out, size);
		break;
	default:
		if (u < 0.35) {
			const char *a = rng_pick(r, portuguese), *b = rng_pick(r, portuguese);

			if (a == b)
				b = a == portuguese[0] ? portuguese[1] : portuguese[0];
			snprintf(out, size, "%s de %s", a, b);
		} else if (u < 0.55) {
			snprintf(out, size, "%s", rng_pick(r, portuguese));
		} else if (u < 0.75) {
			snprintf(out, size, "Samba de %s", rng_pick(r, portuguese));
		} else {
			english_title(r, out, size);
		}
		break;
	}
}

static int plain_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || *s == '/' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* Titles are unique in the whole catalog, so a search for one finds one track. */
static int title_taken(const struct catalog *c, const char *t)
{
	int i;

	for (i = 0; i < c->ntracks; i++)
		if (strcasecmp(c->tracks[i].title, t) == 0)
			return 1;
	return 0;
}

/* Distinct picks from a list of 8 or 12 names. */
static int pick_unused(struct rng *r, unsigned *used, int n)
{
	int i = (int)rng_below(r, (uint32_t)n);

	while (*used & (1u << i))
		i = (i + 1) % n;
	*used |= 1u << i;
	return i;
}

/* ---- dates ---- */

static int month_days(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

static void fmt_date(char *out, size_t size, int y, int m, int d)
{
	snprintf(out, size, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

/* The date `back` days before the reference date. */
static void date_before_ref(int back, char *out, size_t size)
{
	int y = 2026, m = 11, d = 1;

	while (back-- > 0) {
		if (--d == 0) {
			if (--m == 0) {
				m = 12;
				y--;
			}
			d = month_days(y, m);
		}
	}
	fmt_date(out, size, y, m, d);
}

/* ---- markets ---- */

static const char *const markets[] = { "US", "GB", "DE", "FR", "SE", "JP", "BR", "CA", "AU", "ES" };
#define NMARKETS 10
#define ALL_MARKETS ((1u << NMARKETS) - 1)

static void markets_str(unsigned mask, char *out, size_t size)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < NMARKETS; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "",
						markets[i]);
}

/* Where a genre's regional exclusives are sold. */
static unsigned home_markets(struct rng *r, enum genre g)
{
	static const unsigned char homes[G_COUNT][2] = {
		[G_HOUSE] = { 1, 2 }, [G_HIPHOP] = { 0, 7 }, [G_JAZZ] = { 5, 3 },
		[G_AMBIENT] = { 4, 2 }, [G_ROCK] = { 0, 8 }, [G_BOSSA] = { 6, 9 },
	};
	unsigned mask = 1u << homes[g][rng_below(r, 2)];

	if (rng_chance(r, 0.5))
		mask |= 1u << homes[g][0] | 1u << homes[g][1];
	return mask;
}

static unsigned track_markets(struct rng *r, enum genre g, int pos, unsigned album_mask)
{
	unsigned mask = ALL_MARKETS;
	int k, drop;

	if (pos % CAT_PLAIN_EVERY == 1) {
		for (drop = rng_int(r, 1, 3), k = 0; k < drop; k++)
			mask &= ~(1u << rng_below(r, NMARKETS));
	} else if (pos % CAT_PLAIN_EVERY == 3) {
		return home_markets(r, g);
	} else if (rng_chance(r, 0.15)) {
		mask &= ~(1u << rng_below(r, NMARKETS));
	}
	mask &= album_mask;
	return mask ? mask : ALL_MARKETS;
}

/* ---- the catalog ---- */

static void make_artists(struct catalog *c, struct rng *r, const enum genre *genres, int ng,
			 int per_genre)
{
	int gi, k;

	for (gi = 0; gi < ng; gi++) {
		unsigned used = 0;

		for (k = 0; k < per_genre; k++) {
			struct cat_artist *a = &c->artists[c->nartists++];
			int pick = pick_unused(r, &used, 8);

			/* The names the project's documentation uses as examples always exist. */
			if (k == 0 && (genres[gi] == G_HOUSE || genres[gi] == G_AMBIENT)) {
				used = 1u;
				pick = 0;
			}
			snprintf(a->name, sizeof(a->name), "%s", artist_names[genres[gi]][pick]);
			a->genre = genres[gi];
			a->style = k;
		}
	}
}

static void make_albums(struct catalog *c, struct rng *r, int per_artist)
{
	unsigned used[G_COUNT] = { 0 };
	int a, k;

	for (a = 0; a < c->nartists; a++) {
		enum genre g = c->artists[a].genre;
		int year = rng_int(r, 1995, 2022);

		for (k = 0; k < per_artist; k++) {
			struct cat_album *al = &c->albums[c->nalbums];

			snprintf(al->title, sizeof(al->title), "%s",
				 album_names[g][pick_unused(r, &used[g], 12)]);
			al->artist = a;
			al->discs = 1;
			/* Every sixth album, counting from the second, is a new release. */
			if (c->nalbums % 6 == 1)
				date_before_ref(rng_int(r, 3, 120), al->date, sizeof(al->date));
			else
				fmt_date(al->date, sizeof(al->date), year,
					 rng_int(r, 1, year < 2026 ? 12 : 6), rng_int(r, 1, 28));
			year += rng_int(r, 1, 6);
			if (year > 2026)
				year = 2026;
			c->nalbums++;
		}
	}
}

static void make_tracks(struct catalog *c, uint64_t seed, struct rng *r, int small)
{
	int al, k, i, n, perm[CAT_MAX_TRACKS];

	for (al = 0; al < c->nalbums; al++) {
		const struct cat_artist *ar = &c->artists[c->albums[al].artist];
		int ntr = small ? 3 : rng_int(r, 5, 6);
		unsigned album_mask = !small && al % 5 == 2 ? ALL_MARKETS & ~(1u << 5) : ALL_MARKETS;

		for (k = 0; k < ntr && c->ntracks < CAT_MAX_TRACKS; k++) {
			int pos = c->ntracks, tries;
			double lo, hi;
			char name[sizeof(ar->name)];
			struct cat_track *t = &c->tracks[pos];
			struct rng tr = rng_derive(seed, 100, (uint64_t)pos);

			memset(t, 0, sizeof(*t));
			t->album = al;
			t->number = k + 1;
			t->disc = 1;
			t->plain = pos % CAT_PLAIN_EVERY == CAT_PLAIN_AT;
			for (tries = 0; tries < 50; tries++) {
				title_gen(&tr, ar->genre, t->title, sizeof(t->title));
				if (tries >= 25 && t->plain)
					english_title(&tr, t->title, sizeof(t->title));
				if ((!t->plain || plain_ok(t->title)) &&
				    !title_taken(c, t->title))
					break;
			}
			if (tries == 50)
				snprintf(t->title, sizeof(t->title), "Track %d", k + 1);
			/* One title that cannot be a file name as it stands, in every catalog. */
			if (pos == 2)
				snprintf(t->title, sizeof(t->title), "24/7");
			memcpy(name, ar->name, sizeof(name));
			snprintf(t->artist, sizeof(t->artist), "%s", name);
			if (!t->plain && ar->genre == G_HIPHOP && rng_chance(&tr, 0.3))
				snprintf(t->artist, sizeof(t->artist), "%s feat. %s", name,
					 rng_pick(&tr, guests));
			markets_str(t->plain ? ALL_MARKETS :
					       track_markets(&tr, ar->genre, pos, album_mask),
				    t->markets, sizeof(t->markets));
			if (!t->plain) {
				double p = ar->genre == G_HIPHOP ? 0.5 : ar->genre == G_ROCK ? 0.2 :
					   ar->genre == G_HOUSE ? 0.05 : 0.0;

				t->explicit_ = (ar->genre == G_HOUSE && pos % CAT_PLAIN_EVERY == 2) ||
					       rng_chance(&tr, p);
			}
			song_lufs_range(ar->genre, &lo, &hi);
			t->lufs = lo + (hi - lo) * rng_unit(&tr);
			t->seed = rng_u64(&tr);
			c->ntracks++;
		}
	}

	/* Lengths are stratified over the range so the catalog covers it evenly. */
	n = c->ntracks;
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		int j = (int)rng_below(r, (uint32_t)(i + 1)), tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	for (i = 0; i < n; i++) {
		double lo = small ? 8.0 : 30.0, span = small ? 4.0 : 60.0;
		double x = lo + span * ((double)perm[i] + rng_unit(r)) / (double)n;

		c->tracks[i].seconds = floor(x * 10.0) / 10.0;
	}
}

/* Splits the first suitable jazz album into two discs (track numbers restart on disc 2). */
static void make_double_album(struct catalog *c)
{
	int al, i, first, n;

	for (al = 0; al < c->nalbums; al++) {
		if (c->artists[c->albums[al].artist].genre != G_JAZZ)
			continue;
		for (first = -1, n = 0, i = 0; i < c->ntracks; i++) {
			if (c->tracks[i].album != al)
				continue;
			if (c->tracks[i].plain)
				break;
			if (first < 0)
				first = i;
			n++;
		}
		if (i < c->ntracks || n < 4)
			continue;
		for (i = first + (n + 1) / 2; i < first + n; i++) {
			c->tracks[i].disc = 2;
			c->tracks[i].number = i - first - (n + 1) / 2 + 1;
		}
		c->albums[al].discs = 2;
		return;
	}
}

void catalog_build(struct catalog *c, uint64_t seed, int small)
{
	static const enum genre all[G_COUNT] = { G_HOUSE, G_HIPHOP, G_JAZZ, G_AMBIENT, G_ROCK,
						 G_BOSSA };
	static const enum genre few[2] = { G_HOUSE, G_BOSSA };
	struct rng r = rng_derive(seed, 10, 0);

	memset(c, 0, sizeof(*c));
	if (small)
		make_artists(c, &r, few, 2, 1);
	else
		make_artists(c, &r, all, G_COUNT, 2);
	make_albums(c, &r, small ? 1 : 2);
	make_tracks(c, seed, &r, small);
	if (!small)
		make_double_album(c);
}
