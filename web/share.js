// share.js - creates share links for a clip: segment keys re-wrapped under a random key that only the link's #fragment carries.
export {};
