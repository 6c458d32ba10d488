/* The Subsonic answer writer (server/subsonic/resp.c): one tree, written as XML by the
 * mapping subsonic.h gives and as JSON (and JSONP) in the specification's envelope; text
 * escaped for XML, control characters XML cannot hold dropped; one answer per call. */
#include "config.h"

#include <string.h>

#include "subsonic/subsonic.h"
#include "tap.h"

#define ENV_XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<subsonic-response " \
	"xmlns=\"http://subsonic.org/restapi\" status=\"%s\" version=\"" SUBSONIC_API_VERSION "\" " \
	"type=\"segue\" serverVersion=\"" PACKAGE_VERSION "\" openSubsonic=\"true\">"

/* The answer to c's request as text (a fresh request each call). */
static const char *answer(struct req *r, enum sub_format fmt, const char *key, json_t *body)
{
	struct sub_call c = { .r = r, .fmt = fmt, .callback = "cb" };

	buf_free(&r->out);
	memset(r, 0, sizeof *r);
	r->fd = -1;
	sub_ok(&c, key, body);
	return r->out.p ? r->out.p : "";
}

static void is_xml(struct req *r, json_t *body, const char *want_inner, const char *what)
{
	char want[2048];

	snprintf(want, sizeof want, ENV_XML "%s</subsonic-response>\n", "ok", want_inner);
	is_str(answer(r, SUB_XML, "x", body), want, "%s", what);
}

int main(void)
{
	struct req r = { .fd = -1 };
	struct sub_call c;
	char want[2048];

	is_xml(&r, json_pack("{s:s,s:i,s:b,s:f}", "a", "A", "n", 7, "t", 1, "f", 0.5),
	       "<x a=\"A\" n=\"7\" t=\"true\" f=\"0.5\"/>", "scalars are attributes; an empty element closes itself");
	is_xml(&r, json_pack("{s:s,s:[{s:s},{s:s}]}", "id", "1", "song", "id", "s1", "id", "s2"),
	       "<x id=\"1\"><song id=\"s1\"/><song id=\"s2\"/></x>", "an array of objects is repeated elements");
	is_xml(&r, json_pack("{s:{s:i}}", "child", "k", 1), "<x><child k=\"1\"/></x>", "an object is one element");
	is_xml(&r, json_pack("{s:[i,i]}", "folder", 1, 2), "<x><folder>1</folder><folder>2</folder></x>",
	       "an array of scalars is elements with text");
	is_xml(&r, json_pack("{s:i,s:s}", "start", 5, "value", "la <la> & \"li\""),
	       "<x start=\"5\">la &lt;la&gt; &amp; \"li\"</x>", "value is the element's text, escaped");
	is_xml(&r, json_pack("{s:s}", "name", "a\"b<c>&d\ne\tf\001g"),
	       "<x name=\"a&quot;b&lt;c&gt;&amp;d&#10;e&#9;fg\"/>",
	       "attributes escape quotes and white space; control characters XML has not are dropped");
	is_xml(&r, json_pack("{s:n,s:s}", "gone", "kept", "y"), "<x kept=\"y\"/>", "null writes nothing");
	is_xml(&r, json_pack("{s:[]}", "song"), "<x/>", "an empty array writes nothing");

	snprintf(want, sizeof want, ENV_XML "</subsonic-response>\n", "ok");
	is_str(answer(&r, SUB_XML, NULL, NULL), want, "an answer without a body (ping)");
	is_str(answer(&r, SUB_JSON, "x", json_pack("{s:[{s:s}]}", "song", "id", "1")),
	       "{\"subsonic-response\":{\"status\":\"ok\",\"version\":\"" SUBSONIC_API_VERSION "\","
	       "\"type\":\"segue\",\"serverVersion\":\"" PACKAGE_VERSION "\",\"openSubsonic\":true,"
	       "\"x\":{\"song\":[{\"id\":\"1\"}]}}}", "JSON is the tree in the envelope");
	is_str(r.ctype, "application/json", "as application/json");
	ok(!strncmp(answer(&r, SUB_JSONP, NULL, NULL), "cb({\"subsonic-response\":", 24) &&
	   !strcmp(r.out.p + r.out.len - 3, "});"), "JSONP wraps it in the callback");

	buf_free(&r.out);
	memset(&r, 0, sizeof r);
	r.fd = -1;
	c = (struct sub_call){ .r = &r, .fmt = SUB_XML };
	sub_error(&c, SUB_ERR_CONFLICT, "two at once: %s", "<u>");
	snprintf(want, sizeof want, ENV_XML "<error code=\"43\" message=\"two at once: &lt;u&gt;\"/>"
	         "</subsonic-response>\n", "failed");
	is_str(r.out.p, want, "an error: status failed, its code and message");
	is_int(r.status, 200, "in an HTTP 200");
	sub_ok(&c, "x", json_pack("{s:i}", "late", 1));
	is_str(r.out.p, want, "a call answers once: a later answer is dropped");
	buf_free(&r.out);
	return done();
}
