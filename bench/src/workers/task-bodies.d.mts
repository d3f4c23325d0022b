// Types for task-bodies.mjs, so the TypeScript side (inline peer, engine tasks) is checked.
export declare function noop(x: number): number;
export declare function spin(us: number): number;
export declare function sum(bytes: Uint8Array): number;
export declare function whoami(us: number): number;
