// admin.js - the administration view for owners and admins: members, invitations, gateways, cameras, support grants, sessions and the audit log.
export {};
