/** `fle:expression-engine` for a config with expressions: jsonpath-plus. */
import { jsonPathPlusEngine } from './expression-engine';

export default jsonPathPlusEngine;
