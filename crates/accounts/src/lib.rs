//! Accounts, workspaces (tenants), members and roles, setup, login, sessions and tokens, invitations.
