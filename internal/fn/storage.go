package fn

// Storage is what the store holds: bytes per JetStream stream (plain
// streams, KV buckets, object stores) and, per tenant, its code and its
// messages in streams whose subjects start <prefix>.<tenant>.
type Storage struct {
	Stores  []StoreUsage  `json:"stores,omitempty"` // admin only
	Tenants []TenantUsage `json:"tenants"`
}

// StoreUsage is one JetStream stream.
type StoreUsage struct {
	Name     string `json:"name"`     // bucket name for KV and object stores
	Kind     string `json:"kind"`     // stream, kv or objects
	Bytes    uint64 `json:"bytes"`    // stored bytes, as JetStream counts them
	Messages uint64 `json:"messages"` // stored messages (entries, object chunks)
}

// TenantUsage is one tenant's share. Code shared by several tenants counts
// for each; log and usage messages are counts (JetStream keeps no bytes
// per subject).
type TenantUsage struct {
	Tenant      string            `json:"tenant"`
	Functions   int               `json:"functions"`
	Versions    int               `json:"versions"`
	CodeObjects int               `json:"code_objects"`
	CodeBytes   int64             `json:"code_bytes"`
	Messages    map[string]uint64 `json:"messages,omitempty"` // stream name → messages
}
