import { DependencyCycleError, TemplateResolutionError } from './errors';
import { child, isIntrinsicKey, SUB_PLACEHOLDER } from './intrinsics';
import { isJsonObject } from './template';
import type { CloudFormationTemplate, JsonValue } from './template';

export interface DependencyOrderOptions {
  /**
   * Evaluated conditions (see evaluateConditions). Resources whose Condition is false are
   * left out, and Fn::If only contributes the branch it takes.
   * @default - every resource is included and both Fn::If branches count
   */
  readonly conditions?: Readonly<Record<string, boolean>>;
}

/**
 * Logical ids in an order where every resource comes after the resources it refers to
 * (Ref, Fn::GetAtt, Fn::Sub placeholders, DependsOn). Ties keep template order.
 * Throws DependencyCycleError naming the loop and where each link is made, and
 * TemplateResolutionError for a reference to a resource that does not exist.
 */
export function dependencyOrder(template: CloudFormationTemplate, options: DependencyOrderOptions = {}): string[] {
  const resources = template.Resources ?? {};
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const { conditions } = options;

  const excludedBy = new Map<string, string>();
  if (conditions) {
    for (const [id, resource] of Object.entries(resources)) {
      const condition = resource.Condition;
      if (condition === undefined) continue;
      if (!Object.hasOwn(conditions, condition)) {
        throw new TemplateResolutionError(`Resources.${id}.Condition`, `condition ${condition} is not defined in Conditions`);
      }
      if (!conditions[condition]) excludedBy.set(id, condition);
    }
  }
  const active = Object.keys(resources).filter((id) => !excludedBy.has(id));

  // For each resource: the resources it needs, each with the path of the first reference.
  const needs = new Map<string, Map<string, string>>();
  for (const id of active) {
    const edges = new Map<string, string>();
    const addEdge = (target: string, path: string, how: string): void => {
      if (!Object.hasOwn(resources, target)) {
        throw new TemplateResolutionError(path, `${how}: no parameter or resource named ${target}`);
      }
      const condition = excludedBy.get(target);
      if (condition !== undefined) {
        throw new TemplateResolutionError(path, `${how}: resource ${target} is not created because condition ${condition} is false`);
      }
      if (!edges.has(target)) edges.set(target, path);
    };
    const refersTo = (name: string, path: string, how: string): void => {
      if (name.startsWith('AWS::') || parameters.has(name)) return;
      addEdge(name, path, how);
    };

    const collect = (value: JsonValue, path: string): void => {
      if (Array.isArray(value)) {
        value.forEach((item, index) => collect(item, `${path}[${index}]`));
        return;
      }
      if (!isJsonObject(value)) return;
      const keys = Object.keys(value);
      if (keys.length !== 1 || !isIntrinsicKey(keys[0])) {
        for (const key of keys) collect(value[key], child(path, key));
        return;
      }
      const key = keys[0];
      const argument = value[key];
      const at = child(path, key);
      if (key === 'Ref' && typeof argument === 'string') {
        refersTo(argument, at, `Ref ${argument}`);
      } else if (key === 'Fn::GetAtt' && typeof argument === 'string') {
        addEdge(argument.split('.')[0], at, `Fn::GetAtt ${argument}`);
      } else if (key === 'Fn::GetAtt' && Array.isArray(argument) && typeof argument[0] === 'string') {
        addEdge(argument[0], at, `Fn::GetAtt ${argument[0]}`);
        collect(argument.slice(1), at);
      } else if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
        const bound = isJsonObject(variables) ? variables : {};
        if (typeof text === 'string') {
          for (const [, name] of text.matchAll(SUB_PLACEHOLDER)) {
            if (name === '' || name.startsWith('!') || Object.hasOwn(bound, name)) continue;
            const target = name.startsWith('AWS::') ? name : name.split('.')[0];
            refersTo(target, at, `Fn::Sub \${${name}}`);
          }
        } else {
          collect(text, `${at}[0]`);
        }
        collect(bound, `${at}[1]`);
      } else if (key === 'Fn::If' && conditions && Array.isArray(argument) && typeof argument[0] === 'string'
        && Object.hasOwn(conditions, argument[0])) {
        const branch = conditions[argument[0]] ? 1 : 2;
        collect(argument[branch] ?? null, `${at}[${branch}]`);
      } else {
        collect(argument, at);
      }
    };

    const resource = resources[id];
    const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
    for (const target of dependsOn) addEdge(target, `Resources.${id}.DependsOn`, `DependsOn ${target}`);
    for (const [key, value] of Object.entries(resource)) {
      if (key !== 'DependsOn' && key !== 'Condition' && value !== undefined) collect(value, `Resources.${id}.${key}`);
    }
    needs.set(id, edges);
  }

  return topologicalOrder(active, needs);
}

/** Depth-first post-order: deterministic, and the visiting stack is the cycle when one exists. */
function topologicalOrder(ids: readonly string[], needs: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    if (done.has(id)) return;
    const loopStart = stack.indexOf(id);
    if (loopStart >= 0) {
      const cycle = [...stack.slice(loopStart), id];
      const links = cycle.slice(0, -1).map((from, i) => `${from} -> ${cycle[i + 1]} at ${needs.get(from)?.get(cycle[i + 1])}`);
      throw new DependencyCycleError(cycle, links);
    }
    stack.push(id);
    for (const target of needs.get(id)?.keys() ?? []) visit(target);
    stack.pop();
    done.add(id);
    order.push(id);
  };
  for (const id of ids) visit(id);
  return order;
}
