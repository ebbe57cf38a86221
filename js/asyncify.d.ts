// Types for asyncify.mjs. See the book's "JavaScript runtime" chapter.

/** `asyncify_get_state()` values. */
export declare const STATE: Readonly<{ NORMAL: 0; UNWINDING: 1; REWINDING: 2 }>;
/** Exported allocators used for the asyncify buffer, in order of preference. */
export declare const ALLOCATOR_EXPORTS: readonly string[];
/** Bytes of asyncify stack per call by default. */
export declare const DEFAULT_STACK_SIZE: number;

export type AsyncifyErrorCode =
  | 'STACK_OVERFLOW'
  | 'NOT_INSTRUMENTED'
  | 'NOT_ASYNC_EXPORT'
  | 'OUTSIDE_CALL'
  | 'NO_MEMORY'
  | 'NOT_ASYNCIFIED'
  | 'NO_JSPI'
  | 'BAD_OPTION'
  | 'PROTOCOL';

/** An error raised by the runtime itself; `code` says which. */
export declare class AsyncifyError extends Error {
  readonly code: AsyncifyErrorCode;
}

type ModuleSource =
  | BufferSource
  | WebAssembly.Module
  | Response
  | PromiseLike<BufferSource | WebAssembly.Module | Response>;

export interface InstantiateOptions {
  /** Imports (`module.name`, `*` wildcards) that may return a Promise, besides `async` functions. */
  asyncImports?: string[];
  /** Exports (`*` wildcards) that return Promises; default: those the transform instrumented. */
  asyncExports?: string[];
  /** Bytes of asyncify stack per paused call (default 16384). */
  stackSize?: number;
  /** Where the buffer comes from (default 'auto': `asyncify_malloc`/`malloc` export, else reserve). */
  allocate?: 'auto' | 'reserve' | ((bytes: number) => number | bigint);
  /** A call made while another is in progress waits ('queue', default) or runs at once. */
  concurrency?: 'queue' | 'interleave';
  /** JSPI or the asyncify ABI (default 'auto'). */
  mode?: 'auto' | 'asyncify' | 'jspi';
  /** Only for a compiled Module passed without its bytes: its memory is 64-bit. */
  memory64?: boolean;
  /** The WebAssembly namespace to use (default: the global one). */
  engine?: typeof WebAssembly;
}

export interface AsyncifiedInstance {
  /** The raw instance. */
  instance: WebAssembly.Instance;
  module: WebAssembly.Module;
  /** Wrapped exports: those that can pause return Promises. */
  exports: Readonly<Record<string, any>>;
  mode: 'asyncify' | 'jspi';
  /** Pauses so far and the most asyncify stack one needed (null under JSPI). */
  stats: { pauses: number | null; maxStackBytes: number | null };
}

export declare function instantiate(
  source: ModuleSource | { asyncify?: ModuleSource; jspi?: ModuleSource },
  imports?: Record<string, Record<string, any>>,
  options?: InstantiateOptions,
): Promise<AsyncifiedInstance>;

/** Whether the engine has the standard JSPI API (`WebAssembly.Suspending`, `WebAssembly.promising`). */
export declare function hasJSPI(engine?: typeof WebAssembly): boolean;

/** Whether a compiled module exports the five `asyncify_*` functions. */
export declare function isAsyncified(module: WebAssembly.Module, engine?: typeof WebAssembly): boolean;

/** What the runtime reads from a module's bytes. */
export interface ModuleInfo {
  types: ({ params: string[]; results: string[] } | null)[];
  funcImports: { module: string; name: string; typeIndex: number }[];
  memory64: boolean | undefined;
  exports: { name: string; kind: number; index: number }[];
  bodies: Uint8Array[];
}

export declare function inspect(bytes: Uint8Array): ModuleInfo;
