/* roles.h - the role bits a session carries, so the kill switch can revoke every session of a role. */
#ifndef VIGIL_SERVER_ROLES_H
#define VIGIL_SERVER_ROLES_H

#include <stdint.h>

/*
 * Until organizations exist there are two roles: every signed-in account holds ROLE_USER,
 * and an account with ACCOUNTS_FLAG_OPERATOR also holds ROLE_OPERATOR. The organization
 * roles (owner, admin, viewer, auditor, support) will take the next bits; the kill switch
 * takes a role by name so that clients never hard-code the bits.
 */
#define ROLE_USER (UINT32_C(1) << 0)
#define ROLE_OPERATOR (UINT32_C(1) << 1)
#define ROLE_ALL UINT32_C(0xffffffff)

/* The mask for a role name ("user", "operator", "all"); 0 for an unknown name. */
uint32_t roles_from_name(const char *name);

#endif
