/** `fle:expression-engine` for a config with expressions: jsonpath-plus, as the edge runs it. */
import { edgeExpressionEngine } from './expression-engine';

export default edgeExpressionEngine;
