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

/*
 * Organization roles as a route's `roles` mask (struct route in routes.h): which members
 * of the org named by the route's {org} may call it. ORG_STEP_UP additionally asks for a
 * fresh password or TOTP proof. ORG_ROLE_BIT maps an enum stmt_role (1..5) to its bit.
 */
#define ORG_ROLE_OWNER (UINT32_C(1) << 0)
#define ORG_ROLE_ADMIN (UINT32_C(1) << 1)
#define ORG_ROLE_VIEWER (UINT32_C(1) << 2)
#define ORG_ROLE_AUDITOR (UINT32_C(1) << 3)
#define ORG_ROLE_SUPPORT (UINT32_C(1) << 4)
#define ORG_ROLE_ANY (ORG_ROLE_OWNER | ORG_ROLE_ADMIN | ORG_ROLE_VIEWER | ORG_ROLE_AUDITOR | \
    ORG_ROLE_SUPPORT)
#define ORG_ROLE_MANAGE (ORG_ROLE_OWNER | ORG_ROLE_ADMIN)
#define ORG_STEP_UP (UINT32_C(1) << 16)
#define ORG_ROLE_BIT(r) ((r) >= 1 && (r) <= 5 ? UINT32_C(1) << ((r) - 1) : UINT32_C(0))

/* The mask for a role name ("user", "operator", "all"); 0 for an unknown name. */
uint32_t roles_from_name(const char *name);

#endif
