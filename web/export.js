// export.js - exports a recorded range of one camera as an .mp4 decrypted in this browser, with progress and an estimate.
export {};
