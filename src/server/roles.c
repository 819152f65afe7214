/* roles.c - role names to session role bits. */
#include <string.h>
#include "server/roles.h"

uint32_t
roles_from_name(const char *name)
{
	if (name == NULL)
		return 0;
	if (strcmp(name, "user") == 0)
		return ROLE_USER;
	if (strcmp(name, "operator") == 0)
		return ROLE_OPERATOR;
	if (strcmp(name, "all") == 0)
		return ROLE_ALL;
	return 0;
}
