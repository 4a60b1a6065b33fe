// `ingest/devtools`: a machine as a Mermaid diagram, and the Stately inspector.
export { machineToMermaid, type MermaidOptions } from '../devtools/diagram.js';
export { startStatelyInspector, type StatelyInspector, type StatelyInspectorOptions } from '../devtools/statelyInspector.js';
