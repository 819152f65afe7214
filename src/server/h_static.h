/* h_static.h - the console's static files: loading the fixed file list once and serving it. */
#ifndef VIGIL_SERVER_H_STATIC_H
#define VIGIL_SERVER_H_STATIC_H

#include <stddef.h>

/* The Content-Security-Policy every console response carries (docs/design/console.md). */
#define CONSOLE_CSP "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; " \
	"worker-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self' blob:; " \
	"style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define CONSOLE_FILE_MAX (8u * 1024u * 1024u)

/* Load every file of the console's fixed list from dir (the build's web tree, e.g.
 * build/web) into memory and hash it. Returns the number of files loaded (0 when dir is
 * NULL or holds none: the console routes then answer 404) or -1 when a listed file is
 * present but unreadable or too large. Call once before the HTTP daemon starts; the files
 * are read-only afterwards, so handlers need no lock. */
int console_open(const char *dir);
/* Free what console_open loaded; safe to call when nothing was loaded. */
void console_close(void);
/* The number of files of the fixed list, and whether url is one of them (for tests). */
size_t console_nfiles(void);
int console_lists(const char *url);

#endif
