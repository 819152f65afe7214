// adminops.js - the signed statements the administration view makes in this browser (member, grant, camera, gateway configuration), mirroring src/common/statement.h.
export {};
