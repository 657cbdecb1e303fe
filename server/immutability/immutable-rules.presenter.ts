import type { ImmutableRule } from './immutable-rule.ts';

/** Harbor's ImmutableRule. */
export function presentImmutableRule(rule: ImmutableRule): Record<string, unknown> {
  return {
    id: rule.id,
    priority: rule.priority,
    disabled: rule.disabled,
    action: rule.doc.action,
    template: rule.doc.template,
    params: rule.doc.params ?? {},
    tag_selectors: rule.doc.tag_selectors,
    scope_selectors: rule.doc.scope_selectors,
  };
}
