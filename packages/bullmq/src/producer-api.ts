// Producer side: owned by the producer work. Exports are re-exported by index.ts.
export {};
