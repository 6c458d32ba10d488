/* The command table: every entry the src/cmd/ files define. It lives here, beside the
 * entries, so that adding a command touches src/cmd/ only; the core's lookup and dispatch
 * (core/cmd.c) walk whatever this lists and never name a command. */
#include "config.h"
#include "cmd.h"

extern const struct cmd_entry cmd_register, cmd_login, cmd_logout, cmd_whoami, cmd_search, cmd_play,
	cmd_pause, cmd_resume, cmd_toggle, cmd_next, cmd_prev, cmd_seek, cmd_volume, cmd_shuffle,
	cmd_repeat, cmd_status, cmd_queue, cmd_queue_add, cmd_queue_rm, cmd_queue_mv, cmd_queue_clear,
	cmd_playlist_ls, cmd_playlist_show, cmd_playlist_create, cmd_playlist_rename, cmd_playlist_add,
	cmd_playlist_rm, cmd_playlist_mv, cmd_playlist_delete, cmd_playlist_import,
	cmd_playlist_export, cmd_library_save, cmd_library_unsave,
	cmd_library_ls, cmd_follow, cmd_unfollow, cmd_recent, cmd_set, cmd_daemon, cmd_quit, cmd_help,
	cmd_devices, cmd_transfer, cmd_playlist_watch, cmd_show, cmd_lyrics, cmd_tui, cmd_home,
	cmd_radio, cmd_discover, cmd_mixes, cmd_taste, cmd_download, cmd_offline_status,
	cmd_offline_ls, cmd_offline_rm, cmd_offline_sync, cmd_offline_devices, cmd_apikey_create,
	cmd_apikey_ls, cmd_apikey_rm, cmd_subsonic_password;

/* Every command, in the order `segue help` lists them. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_register, &cmd_login, &cmd_logout, &cmd_whoami, &cmd_search, &cmd_show, &cmd_lyrics, &cmd_play,
	&cmd_pause, &cmd_resume, &cmd_toggle, &cmd_next, &cmd_prev, &cmd_seek, &cmd_volume,
	&cmd_shuffle, &cmd_repeat,
	&cmd_status, &cmd_queue, &cmd_queue_add, &cmd_queue_rm, &cmd_queue_mv, &cmd_queue_clear,
	&cmd_playlist_ls, &cmd_playlist_show, &cmd_playlist_create, &cmd_playlist_rename,
	&cmd_playlist_add, &cmd_playlist_rm, &cmd_playlist_mv, &cmd_playlist_delete, &cmd_playlist_watch,
	&cmd_playlist_import, &cmd_playlist_export,
	&cmd_library_save, &cmd_library_unsave, &cmd_library_ls, &cmd_follow, &cmd_unfollow,
	&cmd_recent, &cmd_home, &cmd_radio, &cmd_discover, &cmd_mixes, &cmd_taste,
	&cmd_download, &cmd_offline_status, &cmd_offline_ls, &cmd_offline_rm, &cmd_offline_sync,
	&cmd_offline_devices, &cmd_apikey_create, &cmd_apikey_ls, &cmd_apikey_rm,
	&cmd_subsonic_password, &cmd_devices, &cmd_transfer, &cmd_set, &cmd_daemon, &cmd_tui, &cmd_quit, &cmd_help,
	NULL
};

void cmd_print_help(FILE *f)
{
	fputs("usage: segue [--server URL] [--config FILE] [--json] [--audio-output DRIVER]\n"
	      "             COMMAND [ARGS]\n\ncommands:\n", f);
	for (size_t i = 0; cmd_table[i]; i++)
		fprintf(f, "  %-16s %s\n", cmd_table[i]->name, cmd_table[i]->usage);
	fputs("\nsegue COMMAND --help describes one; segue(1) describes them all.\n", f);
}
