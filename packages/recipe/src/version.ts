/** This package's version (kept equal to package.json's; run.json records it). */
export const VERSION = '0.1.0';
