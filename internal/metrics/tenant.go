package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// tenantGatherer keeps only the series whose tenant label is tenant.
type tenantGatherer struct {
	g      prometheus.Gatherer
	tenant string
}

func (t tenantGatherer) Gather() ([]*dto.MetricFamily, error) {
	fams, err := t.g.Gather()
	out := fams[:0]
	for _, f := range fams {
		kept := f.Metric[:0]
		for _, m := range f.Metric {
			if tenantOf(m) == t.tenant {
				kept = append(kept, m)
			}
		}
		if len(kept) > 0 {
			f.Metric = kept
			out = append(out, f)
		}
	}
	return out, err
}

func tenantOf(m *dto.Metric) string {
	for _, l := range m.Label {
		if l.GetName() == "tenant" {
			return l.GetValue()
		}
	}
	return ""
}
