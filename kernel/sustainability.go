package kernel

// Sustainability is the operational footprint of a fleet (physics.md §8.1, seed
// Profile B; Wall 18). Only accelerators draw power:
//
//	P_chip = TDP · (0.30 + 0.70 · utilisation)        (TDP 700 W when unstated),
//	         or the stated average power per accelerator (PowerPerAccelerator > 0)
//	E_IT   = P_chip · N · 24 h · days                  (kWh)
//	E      = E_IT · PUE
//	carbon = E · carbon intensity / 1000 + embodied kg per device · N    (kg)
//	water  = E · WUE                                    (L)
func Sustainability(out *SustainOut, in *SustainIn) {
	n := len(in.Accelerators)
	out.resize(n)
	for i := 0; i < n; i++ {
		tdp := in.TDP[i]
		if tdp == 0 {
			tdp = FallbackTDPW
		}
		chip := tdp * (IdlePowerFraction + DynamicPowerFraction*in.Utilization[i])
		if in.PowerPerAccelerator != nil && in.PowerPerAccelerator[i] > 0 {
			chip = in.PowerPerAccelerator[i]
		}
		itKWh := chip * in.Accelerators[i] * 24 * in.Days[i] / 1000
		kWh := itKWh * in.PUE[i]
		embodied := in.EmbodiedKg[i] * in.Accelerators[i]
		out.ITEnergyKWh[i] = itKWh
		out.EnergyKWh[i] = kWh
		out.OperationalCarbonKg[i] = kWh * in.CarbonGPerKWh[i] / 1000
		out.CarbonKg[i] = out.OperationalCarbonKg[i] + embodied
		out.EmbodiedCarbonKg[i] = embodied
		out.WaterL[i] = kWh * in.WUE[i]
		out.PowerW[i] = chip * in.Accelerators[i] * in.PUE[i]
	}
}

// FallbackTDPW is the seed's power draw for an accelerator without a TDP (the H100's 700 W).
const FallbackTDPW = 700.0

// SustainIn holds the input columns of Sustainability.
type SustainIn struct {
	Accelerators  []float64
	TDP           []float64 // W per accelerator, 0 = unstated
	Utilization   []float64 // 0..1, drives power between 30 % and 100 % of TDP
	Days          []float64
	PUE           []float64
	CarbonGPerKWh []float64
	WUE           []float64 // L/kWh
	EmbodiedKg    []float64 // per device, 0 = not counted (the seed's default)
	// PowerPerAccelerator is a stated average IT power per accelerator (W), replacing the
	// TDP model where > 0; nil or 0 keeps the model.
	PowerPerAccelerator []float64
}

// SustainOut holds the output columns of Sustainability.
type SustainOut struct {
	ITEnergyKWh, EnergyKWh                          []float64
	OperationalCarbonKg, EmbodiedCarbonKg, CarbonKg []float64
	WaterL, PowerW                                  []float64 // PowerW: facility power while running
}

func (o *SustainOut) resize(n int) {
	for _, p := range []*[]float64{&o.ITEnergyKWh, &o.EnergyKWh, &o.OperationalCarbonKg, &o.EmbodiedCarbonKg,
		&o.CarbonKg, &o.WaterL, &o.PowerW} {
		*p = grow(*p, n)
	}
}
