// Worker side: owned by the worker work. Exports are re-exported by index.ts.
export {};
