/* The control FIFO: reads "stop camN" / "start camN" lines from a named pipe. */
#ifndef VIGIL_CAMSIM_CONTROL_H
#define VIGIL_CAMSIM_CONTROL_H

struct control;

/*
 * Called on the main loop for each well-formed line: verb is "start" or "stop",
 * target is the rest of the line ("cam2", "all"), both NUL-terminated and valid
 * only during the call.
 */
typedef void (*control_fn)(const char *verb, const char *target, void *user);

/* Longest command line accepted; longer lines are dropped with a warning. */
#define CONTROL_MAX_LINE 128

/*
 * control_open creates the FIFO at path (mode 0600; an existing FIFO is reused,
 * anything else there is an error) and watches it on the default main context.
 * Returns NULL with a one-line reason in *err (caller g_free's it).
 */
struct control *control_open(const char *path, control_fn fn, void *user,
    char **err);

/* control_close stops watching and removes the FIFO. NULL-safe. */
void control_close(struct control *ctl);

#endif
