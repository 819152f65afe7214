/* setcookie.c - a bounded scan of one Set-Cookie value for the Vigil session cookie. */
#include <string.h>
#include "cli/setcookie.h"

#define VALUE_MAX 128

static int
b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

int
setcookie_session(const char *hdr, size_t len, char *out, size_t outsz)
{
	static const char *const names[] = { "__Host-vigil_session=", "vigil_session=" };
	size_t i, k, nlen, vlen = 0;
	int r = -1;

	if (outsz > 0)
		out[0] = '\0';
	if (hdr == NULL || outsz < SETCOOKIE_MAX)
		goto out;
	while (len > 0 && (hdr[0] == ' ' || hdr[0] == '\t')) {
		hdr++;
		len--;
	}
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		nlen = strlen(names[k]);
		if (len < nlen || memcmp(hdr, names[k], nlen) != 0)
			continue;
		for (i = nlen; i < len && b64url(hdr[i]); i++)
			vlen++;
		/* The value ends the header or is followed by attributes. */
		if (vlen == 0 || vlen > VALUE_MAX || (i < len && hdr[i] != ';' && hdr[i] != '\r' &&
		    hdr[i] != '\n'))
			goto out;
		memcpy(out, hdr, nlen + vlen);
		out[nlen + vlen] = '\0';
		r = 0;
		goto out;
	}
out:
	return r;
}
