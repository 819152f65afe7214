// shareview.js - the page a share link (/s/ID#K) opens: plays only the shared clip, with no account.
export {};
