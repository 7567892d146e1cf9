// netloom/scenario: scenario and comparison files: loading, checking, the JSON Schemas, sweep points.

export {
  loadScenario,
  parseScenario,
  validateScenario,
  loadSweep,
  scenarioAtPoint,
  ScenarioError,
  parseStructured,
  scenarioSchema,
  scenarioAtmSchema,
  type Scenario,
  type ScenarioSweep,
  type ParameterValue,
  type ScenarioStackHost,
  type ScenarioHostStack,
  type MessageScenarioTraffic,
  type PingPongTraffic,
  type MessageStreamTraffic,
  type ScenarioWorkload,
} from "../scenario/scenario.js";
export {
  loadComparison,
  parseComparison,
  validateComparison,
  COMPARE_NETWORKS,
  DEFAULT_LAYERS,
  type Comparison,
  type CompareConfiguration,
  type CompareLink,
  type CompareNetwork,
} from "../scenario/compare-file.js";
