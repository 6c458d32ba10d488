/* The core context. */
#include "config.h"
#include "seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base62.h"

enum seg_err seg_init(struct seg *s, const char *conf_path)
{
	enum seg_err e;
	const char *env;

	memset(s, 0, sizeof *s);
	if ((e = paths_init(&s->paths, conf_path)) || (e = options_init(&s->opt)))
		return e;
	if ((e = options_load(&s->opt, s->paths.conf, conf_path == NULL)))
		goto fail;
	/* The environment sits between the file and the flags. */
	if ((env = getenv("SEGUE_SERVER")) && *env && (e = options_set(&s->opt, "server", env)))
		goto fail;
	return SEG_OK;
fail:
	options_free(&s->opt);
	return e;
}

void seg_free(struct seg *s)
{
	api_free(s->api);
	s->api = NULL;
	if (s->store_ok)
		store_close(&s->store);
	s->store_ok = false;
	options_free(&s->opt);
}

struct api *seg_api(struct seg *s)
{
	struct api_opts o = { 0 };

	if (s->api)
		return s->api;
	o.server = opt_str(&s->opt, OPT_SERVER);
	o.creds_path = s->paths.creds;
	o.retries = -1;
	if (!(s->api = api_new(&o)))
		seg_fail(SEG_ENOMEM, "out of memory");
	return s->api;
}

struct store *seg_store(struct seg *s)
{
	if (!s->store_ok && store_open(&s->store, s->paths.db) == SEG_OK)
		s->store_ok = true;
	return s->store_ok ? &s->store : NULL;
}

const char *seg_device_id(struct seg *s)
{
	static char id[BASE62_ID_LEN + 1];
	struct store *st;
	char *v;

	if (id[0])
		return id;
	if (!(st = seg_store(s)))
		return NULL;
	if ((v = store_kv_get(st, "device_id")) && strlen(v) == BASE62_ID_LEN) {
		memcpy(id, v, sizeof id);
	} else {
		base62_id_random(id);
		if (store_kv_set(st, "device_id", id)) {
			id[0] = '\0';
			free(v);
			return NULL;
		}
	}
	free(v);
	return id;
}

const char *seg_device_name(struct seg *s)
{
	static char host[256];
	const char *n = opt_str(&s->opt, OPT_DEVICE_NAME);

	if (n && *n)
		return n;
	if (!host[0] && gethostname(host, sizeof host - 1) < 0)
		strcpy(host, "segue");
	return host;
}
