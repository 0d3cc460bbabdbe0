// Package stack deploys AWS SAM templates as stacks: the set of
// resources one template made, kept as one record per tenant and stack.
//
// The pipeline: Parse reads the template (YAML or JSON, short forms like
// !Ref included); Resolve applies parameters, conditions and Globals and
// evaluates the intrinsic functions; Translate turns SAM and CloudFormation
// resources into platform Resources (functions, queues, topics,
// subscriptions, buckets, tables, event source mappings, schedules, APIs),
// refusing any type or property it would otherwise ignore, naming the
// resource and the property. The Engine plans against the stack's last
// record (create, update, replace, delete, keep), checks that it takes
// over nothing it did not make, and applies the plan: functions through
// control, exactly as `updraft deploy` of a directory, and the rest
// through the platform's own AWS endpoint with the deployer's tenant and
// key scope (Services). A failure puts back what the deploy changed.
// AutoPublishAlias with a DeploymentPreference shifts the alias's traffic
// to the new version afterwards (the canary driver), running hooks and
// rolling back when the new version's error rate passes its guard.
package stack
