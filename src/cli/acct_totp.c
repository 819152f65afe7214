/* acct_totp.c - `vigil account totp`: the server draws the secret, the user's authenticator proves it has it, and owners, admins and operators may then act. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include "cli/acct_totp.h"
#include "cli/apic.h"
#include "cli/cli.h"

#define CODE_BUF 32

/* The code: $VIGIL_TOTP_CODE, else one line of standard input. 6 digits, or -1. */
static int
read_code(char code[CODE_BUF])
{
	const char *env = getenv("VIGIL_TOTP_CODE");
	size_t n;

	if (env != NULL) {
		snprintf(code, CODE_BUF, "%s", env);
	} else {
		fputs("Code from the app: ", stderr);
		fflush(stderr);
		if (fgets(code, CODE_BUF, stdin) == NULL)
			return -1;
	}
	code[strcspn(code, "\r\n")] = '\0';
	n = strlen(code);
	return n == 6 && strspn(code, "0123456789") == 6 ? 0 : -1;
}

int
account_totp(const char *server, const char *session_file)
{
	char cookie[APIC_COOKIE_MAX], code[CODE_BUF], why[128];
	struct apic *a = NULL;
	json_t *ans = NULL, *body = NULL;
	const char *secret, *uri;
	long status = 0;
	int e, rc = EXIT_RUNTIME;

	if (server == NULL || session_file == NULL) {
		fprintf(stderr, "usage: vigil account totp --server URL --session FILE\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (apic_read_session(session_file, cookie) != 0) {
		fprintf(stderr, "vigil account: cannot read the session in %s (vigil account login "
		    "writes it)\n", session_file);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((e = apic_new(&a, server, cookie, NULL)) != 0 ||
	    (e = apic_json(a, "POST", "/api/v1/auth/totp/begin", NULL, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", apic_strerror(e));
		goto out;
	}
	if (status == 403) {
		fprintf(stderr, "vigil account: the server wants a fresh sign-in for this (HTTP 403: "
		    "%s): run vigil account login again, then this within 5 minutes\n",
		    apic_answer_error(ans, why, sizeof(why)));
		goto out;
	}
	if (status != 200 || (secret = json_string_value(json_object_get(ans, "secret"))) == NULL ||
	    (uri = json_string_value(json_object_get(ans, "uri"))) == NULL ||
	    strncmp(uri, "otpauth://totp/", 15) != 0) {
		fprintf(stderr, "vigil account: the server did not start TOTP (HTTP %ld: %s)\n", status,
		    apic_answer_error(ans, why, sizeof(why)));
		goto out;
	}
	printf("Add this account to your authenticator app (keep the secret to yourself):\n"
	    "secret: %s\nuri: %s\n", secret, uri);
	fflush(stdout);
	if (read_code(code) != 0) {
		fprintf(stderr, "vigil account: a code is 6 digits (nothing was turned on; run this "
		    "again)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	json_decref(ans);
	ans = NULL;
	if ((body = json_pack("{s:s}", "code", code)) == NULL ||
	    (e = apic_json(a, "POST", "/api/v1/auth/totp/confirm", body, &ans, &status)) != 0) {
		fprintf(stderr, "vigil account: %s\n", e != 0 ? apic_strerror(e) : "out of memory");
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, "vigil account: the code was refused (HTTP %ld: %s): check the app's "
		    "clock, then run this again\n", status, apic_answer_error(ans, why, sizeof(why)));
		goto out;
	}
	printf("second factor on: sign-ins now ask for a code (vigil account login --totp CODE)\n");
	rc = 0;
out:
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(code, sizeof(code));
	json_decref(ans);
	json_decref(body);
	apic_free(a);
	return rc;
}
