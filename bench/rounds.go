package main

import (
	"fmt"
	"slices"
)

// rounds is how many alternated rounds a figure is measured in (-rounds;
// 1 with -quick): the reference, then sessiond, then the reference again
// ..., so that the machine's drift falls on both sides alike.
func (b *bench) rounds() int {
	if b.o.rounds > 0 {
		return b.o.rounds
	}
	if b.o.quick {
		return 1
	}
	return 3
}

// sample is one round of one figure: sessiond's value and the reference's.
type sample struct{ value, ref float64 }

// samples collects each figure's rounds by key, in the order keys first
// came, so that the report keeps the figures' order.
type samples struct {
	keys []string
	figs map[string]*Figure
	by   map[string][]sample
}

func newSamples() *samples {
	return &samples{figs: map[string]*Figure{}, by: map[string][]sample{}}
}

// add records one round of f (its Value and Reference).
func (s *samples) add(f *Figure) {
	if _, ok := s.figs[f.Key]; !ok {
		s.keys = append(s.keys, f.Key)
		s.figs[f.Key] = f
	}
	s.by[f.Key] = append(s.by[f.Key], sample{f.Value, f.Reference})
}

// report adds each figure to the report with the round whose ratio is the
// median, and notes every round's ratio (their spread) when there were
// several.
func (s *samples) report(r *Report) {
	for _, k := range s.keys {
		f, rs := s.figs[k], s.by[k]
		ratio := func(x sample) float64 {
			if x.ref == 0 {
				return 0
			}
			return x.value / x.ref
		}
		sorted := slices.Clone(rs)
		slices.SortFunc(sorted, func(a, b sample) int {
			switch ra, rb := ratio(a), ratio(b); {
			case ra < rb:
				return -1
			case ra > rb:
				return 1
			}
			return 0
		})
		med := sorted[len(sorted)/2]
		out := *f
		out.Value, out.Reference = med.value, med.ref
		if len(rs) > 1 {
			spread := fmt.Sprintf("median of %d alternated rounds; ratios %.2f to %.2f", len(rs), ratio(sorted[0]), ratio(sorted[len(sorted)-1]))
			if out.Note != "" {
				spread += "; " + out.Note
			}
			out.Note = spread
		}
		r.add(&out)
	}
}
