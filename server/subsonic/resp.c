/* The answer's two forms from one description (subsonic.h says how a tree maps onto XML).
 * The envelope is the specification's: status, version, type, serverVersion, openSubsonic. */
#include "config.h"
#include "subsonic/subsonic.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"

static void xml_escape(struct buf *b, const char *s, bool attr)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, attr ? "&quot;" : "\""); break;
		case '\n': buf_puts(b, attr ? "&#10;" : "\n"); break;
		case '\r': buf_puts(b, "&#13;"); break;
		case '\t': buf_puts(b, attr ? "&#9;" : "\t"); break;
		default:
			/* XML 1.0 has no other control characters, escaped or not: the text loses
			 * them rather than making the document unreadable. */
			if (*p >= 0x20)
				buf_append(b, p, 1);
		}
	}
}

static bool is_scalar(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

static void scalar_text(struct buf *b, const json_t *v, bool attr)
{
	if (json_is_string(v))
		xml_escape(b, json_string_value(v), attr);
	else if (json_is_integer(v))
		buf_printf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		buf_printf(b, "%.10g", json_real_value(v));
	else if (json_is_boolean(v))
		buf_puts(b, json_is_true(v) ? "true" : "false");
}

static void xml_element(struct buf *b, const char *name, const json_t *v, int depth);

static void xml_member(struct buf *b, const char *key, const json_t *v, int depth)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *item;

		json_array_foreach(v, i, item)
			xml_element(b, key, item, depth);
	} else if (json_is_object(v)) {
		xml_element(b, key, v, depth);
	}
}

/* <name attrs>text children</name>, or <name attrs/> when it has neither. */
static void xml_element(struct buf *b, const char *name, const json_t *v, int depth)
{
	const char *key;
	json_t *m;
	bool open = false;

	/* Deeper than any answer goes: a bug, not an input (trees are ours). */
	if (depth > 32) {
		log_err("subsonic: an answer nests deeper than 32 elements at <%s>", name);
		return;
	}
	buf_printf(b, "<%s", name);
	if (is_scalar(v)) {
		buf_puts(b, ">");
		scalar_text(b, v, false);
		buf_printf(b, "</%s>", name);
		return;
	}
	json_object_foreach((json_t *)v, key, m)
		if (is_scalar(m) && strcmp(key, "value")) {
			buf_printf(b, " %s=\"", key);
			scalar_text(b, m, true);
			buf_puts(b, "\"");
		}
	json_object_foreach((json_t *)v, key, m) {
		/* Attributes are written; null and [] have no XML form. */
		if ((is_scalar(m) && strcmp(key, "value")) || json_is_null(m) ||
		    (json_is_array(m) && !json_array_size(m)))
			continue;
		if (!open) {
			buf_puts(b, ">");
			open = true;
		}
		if (is_scalar(m))
			scalar_text(b, m, false);
		else
			xml_member(b, key, m, depth + 1);
	}
	if (open)
		buf_printf(b, "</%s>", name);
	else
		buf_puts(b, "/>");
}

static json_t *envelope(bool ok)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:b}", "status", ok ? "ok" : "failed",
	                 "version", SUBSONIC_API_VERSION, "type", SUBSONIC_SERVER_TYPE,
	                 "serverVersion", PACKAGE_VERSION, "openSubsonic", 1);
}

/* Writes env (stolen) as c's format into c->r with status. */
static void send(struct sub_call *c, int status, json_t *env)
{
	struct buf b = BUF_INIT;
	char *text = NULL;

	if (!env)
		goto oom;
	if (c->fmt == SUB_XML) {
		const char *key;
		json_t *m;

		buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<subsonic-response"
		             " xmlns=\"http://subsonic.org/restapi\"");
		json_object_foreach(env, key, m)
			if (is_scalar(m)) {
				buf_printf(&b, " %s=\"", key);
				scalar_text(&b, m, true);
				buf_puts(&b, "\"");
			}
		buf_puts(&b, ">");
		json_object_foreach(env, key, m)
			if (!is_scalar(m))
				xml_member(&b, key, m, 1);
		buf_puts(&b, "</subsonic-response>\n");
		if (!b.p)
			goto oom;
		reply_text(c->r, status, "text/xml; charset=utf-8", b.p);
	} else {
		json_t *doc = json_pack("{s:O}", "subsonic-response", env);

		text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		if (!text)
			goto oom;
		if (c->fmt == SUB_JSONP) {
			buf_printf(&b, "%s(%s);", c->callback, text);
			if (!b.p)
				goto oom;
			reply_text(c->r, status, "application/javascript; charset=utf-8", b.p);
		} else {
			reply_text(c->r, status, "application/json", text);
		}
	}
	goto out;
oom:
	reply_error(c->r, 500, "out of memory");
out:
	free(text);
	buf_free(&b);
	json_decref(env);
	c->answered = true;
}

void sub_ok(struct sub_call *c, const char *key, json_t *body)
{
	json_t *env;

	if (c->answered) {
		json_decref(body);
		return;
	}
	env = envelope(true);
	if (env && key && (!body || json_object_set_new(env, key, body) < 0)) {
		json_decref(env);
		env = NULL;
	} else if (!key) {
		json_decref(body);
	}
	send(c, 200, env);
}

void sub_error_status(struct sub_call *c, int http_status, enum sub_code code, const char *msg)
{
	json_t *env;

	if (c->answered)
		return;
	env = envelope(false);
	if (env && json_object_set_new(env, "error", json_pack("{s:i,s:s}", "code", (int)code,
	                                                      "message", msg)) < 0) {
		json_decref(env);
		env = NULL;
	}
	send(c, http_status, env);
}

void sub_error(struct sub_call *c, enum sub_code code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sub_error_status(c, 200, code, msg);
}
