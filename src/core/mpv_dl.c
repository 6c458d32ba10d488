/* libmpv, loaded when the player first starts rather than linked. Linked, it maps some two
 * hundred and forty shared libraries into every segue process and costs each command ~150 ms
 * before main() runs -- most of the time `segue pause` takes. Only the daemon (and later the
 * TUI) plays, so only they pay. Each function here stands in for the library's own, with the
 * same name and signature, so the player is written against the ordinary client API.
 *
 * The executable does not export these names (it is not linked with -rdynamic), so libmpv's
 * calls to its own functions never land here. */
#include "config.h"
#include "mpv_dl.h"

#include <dlfcn.h>
#include <mpv/client.h>
#include <mpv/stream_cb.h>
#include <pthread.h>
#include <stdio.h>

static struct {
	unsigned long (*client_api_version)(void);
	const char *(*error_string)(int);
	void (*free_node_contents)(mpv_node *);
	mpv_handle *(*create)(void);
	int (*initialize)(mpv_handle *);
	void (*terminate_destroy)(mpv_handle *);
	int (*set_option_string)(mpv_handle *, const char *, const char *);
	int (*command)(mpv_handle *, const char **);
	int (*command_ret)(mpv_handle *, const char **, mpv_node *);
	int (*set_property)(mpv_handle *, const char *, mpv_format, void *);
	int (*set_property_string)(mpv_handle *, const char *, const char *);
	int (*get_property)(mpv_handle *, const char *, mpv_format, void *);
	int (*observe_property)(mpv_handle *, uint64_t, const char *, mpv_format);
	mpv_event *(*wait_event)(mpv_handle *, double);
	void (*set_wakeup_callback)(mpv_handle *, void (*)(void *), void *);
	int (*stream_cb_add_ro)(mpv_handle *, const char *, void *, mpv_stream_cb_open_ro_fn);
} lib;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[256];
static int loaded;

#define SYM(field, name) (*(void **)&lib.field = dlsym(h, name)) != NULL

static void load(void)
{
	void *h = dlopen("libmpv.so.2", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		h = dlopen("libmpv.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof why, "cannot load libmpv (apt-get install libmpv2): %s", dlerror());
		return;
	}
	loaded = SYM(client_api_version, "mpv_client_api_version") &&
	         SYM(error_string, "mpv_error_string") &&
	         SYM(free_node_contents, "mpv_free_node_contents") &&
	         SYM(create, "mpv_create") && SYM(initialize, "mpv_initialize") &&
	         SYM(terminate_destroy, "mpv_terminate_destroy") &&
	         SYM(set_option_string, "mpv_set_option_string") &&
	         SYM(command, "mpv_command") && SYM(command_ret, "mpv_command_ret") &&
	         SYM(set_property, "mpv_set_property") &&
	         SYM(set_property_string, "mpv_set_property_string") &&
	         SYM(get_property, "mpv_get_property") &&
	         SYM(observe_property, "mpv_observe_property") &&
	         SYM(wait_event, "mpv_wait_event") &&
	         SYM(set_wakeup_callback, "mpv_set_wakeup_callback") &&
	         SYM(stream_cb_add_ro, "mpv_stream_cb_add_ro");
	if (!loaded)
		snprintf(why, sizeof why, "the libmpv found lacks a function segue needs");
}

const char *mpv_dl_error(void)
{
	pthread_once(&once, load);
	return loaded ? NULL : why;
}

/* mpv_create is the way in: every other call needs the handle it returns. */
mpv_handle *mpv_create(void)
{
	return mpv_dl_error() ? NULL : lib.create();
}

unsigned long mpv_client_api_version(void)
{
	return mpv_dl_error() ? 0 : lib.client_api_version();
}

const char *mpv_error_string(int error)
{
	return mpv_dl_error() ? "libmpv is not loaded" : lib.error_string(error);
}

void mpv_free_node_contents(mpv_node *node)
{
	lib.free_node_contents(node);
}

int mpv_initialize(mpv_handle *h)
{
	return lib.initialize(h);
}

void mpv_terminate_destroy(mpv_handle *h)
{
	lib.terminate_destroy(h);
}

int mpv_set_option_string(mpv_handle *h, const char *name, const char *data)
{
	return lib.set_option_string(h, name, data);
}

int mpv_command(mpv_handle *h, const char **args)
{
	return lib.command(h, args);
}

int mpv_command_ret(mpv_handle *h, const char **args, mpv_node *result)
{
	return lib.command_ret(h, args, result);
}

int mpv_set_property(mpv_handle *h, const char *name, mpv_format format, void *data)
{
	return lib.set_property(h, name, format, data);
}

int mpv_set_property_string(mpv_handle *h, const char *name, const char *data)
{
	return lib.set_property_string(h, name, data);
}

int mpv_get_property(mpv_handle *h, const char *name, mpv_format format, void *data)
{
	return lib.get_property(h, name, format, data);
}

int mpv_observe_property(mpv_handle *h, uint64_t userdata, const char *name, mpv_format format)
{
	return lib.observe_property(h, userdata, name, format);
}

mpv_event *mpv_wait_event(mpv_handle *h, double timeout)
{
	return lib.wait_event(h, timeout);
}

void mpv_set_wakeup_callback(mpv_handle *h, void (*cb)(void *d), void *d)
{
	lib.set_wakeup_callback(h, cb, d);
}

int mpv_stream_cb_add_ro(mpv_handle *ctx, const char *protocol, void *user_data,
                         mpv_stream_cb_open_ro_fn open_fn)
{
	return lib.stream_cb_add_ro(ctx, protocol, user_data, open_fn);
}
