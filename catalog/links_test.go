package catalog

import (
	"strings"
	"testing"
)

// TestAddedLinks: the scale-up and host links added for issue #15, each at the rate its
// source states, per direction (hand arithmetic beside each):
//   - MI250X: 8 Infinity Fabric links × 100 GB/s send + receive = 800 GB/s, 400 per direction;
//   - Gaudi3: 21 scale-up ports × 200 Gb/s ÷ 8 = 525 GB/s per direction (Intel Gaudi docs);
//   - TPUv3: 340 TB/s all-reduce per Pod ÷ 1024 chips = 332.03 GB/s, stored as 332;
//   - TPUv6: 800 GB/s bidirectional ICI per chip = 400 per direction (= 102.4 TB/s ÷ 256);
//   - Trainium2: NeuronLink-v3 1.28 TB/s per chip, taken as send + receive: 640;
//   - T4 and TPUv1 (PCIe only): Gen3 x16, 8 GT/s × 16 × 128/130 ÷ 8 = 15.75 GB/s.
//
// Each carries a field source with a URL and a correction whose upstream is "none", so the
// seed (SeedLinks) does not see it; an entry the registry had a link for keeps it there.
func TestAddedLinks(t *testing.T) {
	cat := MustDefault()
	for _, tc := range []struct {
		key, field, source string
		perDirection       float64
	}{
		{"MI250X", "scale_up", "scale_up.bandwidth", 400e9},
		{"Gaudi3", "scale_up", "scale_up.bandwidth", 525e9},
		{"TPUv3", "scale_up", "scale_up.bandwidth", 332e9},
		{"TPUv6", "scale_up", "scale_up.bandwidth", 400e9},
		{"Trainium2", "scale_up", "scale_up.bandwidth", 640e9},
		{"T4", "host_link", "host_link", 15.75e9},
		{"TPUv1", "host_link", "host_link", 15.75e9},
	} {
		h, err := cat.HardwareByKey(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		seedHost, seedUp := h.SeedLinks()
		l, seen := h.ScaleUp, seedUp
		if tc.field == "host_link" {
			l, seen = h.HostLink, seedHost
		}
		if l == nil || l.PerDirectionBytesPerS() != tc.perDirection {
			t.Errorf("%s %s: %+v, want %v B/s per direction", tc.key, tc.field, l, tc.perDirection)
			continue
		}
		if seen != nil {
			t.Errorf("%s: the seed sees the added %s %+v", tc.key, tc.field, seen)
		}
		src, ok := h.FieldSources[tc.source]
		if !ok || !strings.HasPrefix(src.URL, "https://") || src.Ref == "" {
			t.Errorf("%s: field source %s = %+v, want a ref and a URL", tc.key, tc.source, src)
		}
		switch src.Kind {
		case "datasheet", "derived", "literature", "measurement":
		default:
			t.Errorf("%s: field source kind %q", tc.key, src.Kind)
		}
	}
	// An entry the registry had its link for: the seed sees the same link.
	h, _ := cat.HardwareByKey("H100")
	if host, up := h.SeedLinks(); host != h.HostLink || up != h.ScaleUp || up == nil {
		t.Errorf("H100 seed links %+v %+v", host, up)
	}
}

// TestAddedLinksSourced: every link a correction marks as added (upstream "none") has a
// field source, and every such correction names a link the entry has.
func TestAddedLinksSourced(t *testing.T) {
	for _, h := range MustDefault().Hardware {
		for _, c := range h.Corrections {
			if s, ok := c.Upstream.(string); !ok || s != AddedUpstreamNone || (c.Field != "host_link" && c.Field != "scale_up") {
				continue // a rates map the registry lacked is "none" too (catalog/seed.go)
			}
			var l *Link
			switch c.Field {
			case "host_link":
				l = h.HostLink
			case "scale_up":
				l = h.ScaleUp
			}
			if l == nil {
				t.Errorf("%s: correction adds %s, which the entry does not have", h.Key, c.Field)
			}
			_, a := h.FieldSources[c.Field]
			_, b := h.FieldSources[c.Field+".bandwidth"]
			if !a && !b {
				t.Errorf("%s: added %s has no field source", h.Key, c.Field)
			}
		}
	}
}
