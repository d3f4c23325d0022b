/**
 * Every scenario, in the order `pnpm bench` runs them (cheap and foundational first, so a
 * broken pool shows up before the long workloads).
 *
 * @module
 */
import type { Scenario } from '../runner/scenario.ts';
import { bullmqRecovery, bullmqThroughput } from './bullmq.ts';
import { cpuThroughput } from './cpu-throughput.ts';
import { dispatchScenarios } from './dispatch-scenarios.ts';
import { downloader } from './downloader.ts';
import { largeInput } from './large-input.ts';
import { logAnalytics } from './log-analytics.ts';
import { loopResponsiveness } from './loop-responsiveness.ts';
import { memory } from './memory.ts';
import { metricsOverhead } from './metrics-overhead.ts';
import { mixedPipeline } from './mixed-pipeline.ts';
import { ndjsonSink } from './ndjson-sink.ts';
import { overhead } from './overhead.ts';
import { pipelineMemory } from './pipeline-memory.ts';
import { pythonAnchor } from './python-anchor.ts';
import { runThroughput } from './run-throughput.ts';
import { tinyThroughput } from './tiny-throughput.ts';
import { transfer } from './transfer.ts';
import { webOffload } from './web-offload.ts';

export const allScenarios: readonly Scenario[] = [
  overhead,
  runThroughput,
  metricsOverhead,
  ...dispatchScenarios,
  tinyThroughput,
  cpuThroughput,
  loopResponsiveness,
  transfer,
  largeInput,
  mixedPipeline,
  downloader,
  webOffload,
  logAnalytics,
  memory,
  pipelineMemory,
  ndjsonSink,
  pythonAnchor,
  bullmqThroughput,
  bullmqRecovery,
];
