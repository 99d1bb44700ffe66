/** The magic bytes moved to src/input/magic.ts (the one input module); kept for imports of the old path. */
export * from '../input/magic.js';
