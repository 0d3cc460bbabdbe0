package tables

import "github.com/updraft-dev/updraft/internal/tables/attr"

// ItemSize is an item's size as DynamoDB counts it toward the 400 KB limit.
func ItemSize(it attr.Item) int { return attr.ItemSize(it) }
