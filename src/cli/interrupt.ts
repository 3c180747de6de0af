/**
 * Ctrl-C (SIGINT) and SIGTERM stop a hunt without cutting its clean-up short: the first signal stops the
 * engine (running hunters are aborted, their changes undone); later ones only say that clean-up is still
 * running, since exiting then would leave changes behind. Once disposed, signals act as usual again.
 */
export function interruptOnSignals(
  what: { onStop: string; whileStopping: string },
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      write(`kubeferret: ${name}: stopping; ${what.onStop}`);
      controller.abort();
    } else {
      write(`kubeferret: ${name}: ${what.whileStopping}`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
