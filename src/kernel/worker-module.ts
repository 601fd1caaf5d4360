import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module beside the caller (`relative` names its compiled `.js` file). Compiled,
 * that is the `.js` file. Run from the TypeScript sources (the tests, `tsx`), the caller is a `.ts` file and so
 * is the module: the thread registers tsx first — on Node 20 a worker does not inherit the parent's loader
 * hooks, nor honour `--import` in its execArgv.
 */
export function startWorkerModule(callerUrl: string, relative: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(relative, callerUrl), options);
  const source = new URL(relative.replace(/\.js$/, '.ts'), callerUrl).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
