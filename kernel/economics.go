package kernel

import "math"

// Economics is the total cost of ownership of a fleet over a period (physics.md
// §8.2, seed Profile B; Wall 17), with the period's energy from Sustainability:
//
//	CapEx     = unit cost · N · infrastructure multiplier
//	capex     = CapEx / amortisation years · days / 365       (this period's share)
//	energy    = E (kWh, with PUE) · price per kWh
//	maintain  = CapEx · 0.05 · days / 365
//	TCO       = capex + energy + maintain
//	objective = TCO + carbon tax (USD per tCO2e) · carbon / 1000     (PlacementOptimizer, §8.4)
//
// With a rental price per accelerator-hour (RentalUSDPerHour > 0) the fleet is rented
// instead of bought: TCO = rental · N · 24 h · days, and the price covers the hardware,
// its power and the facility, so capex, energy cost and maintenance are 0.
func Economics(out *EconOut, in *EconIn) {
	n := len(in.Accelerators)
	out.resize(n)
	for i := 0; i < n; i++ {
		capexTotal := in.UnitCostUSD[i] * in.Accelerators[i] * in.InfraMultiplier[i]
		period := in.Days[i] / DaysPerYear
		capex := capexTotal / in.AmortizationYears[i] * period
		energy := in.EnergyKWh[i] * in.PriceUSDPerKWh[i]
		maintain := capexTotal * AnnualMaintenanceRatio * period
		tco := capex + energy + maintain
		if in.RentalUSDPerHour != nil && in.RentalUSDPerHour[i] > 0 {
			capex, energy, maintain = 0, 0, 0
			tco = in.RentalUSDPerHour[i] * in.Accelerators[i] * 24 * in.Days[i]
		}
		tax := in.CarbonTaxUSDPerT[i] * in.CarbonKg[i] / 1000
		out.CapexUSD[i] = capex
		out.EnergyCostUSD[i] = energy
		out.MaintenanceUSD[i] = maintain
		out.OpexUSD[i] = energy + maintain
		out.TCOUSD[i] = tco
		out.CarbonTaxUSD[i] = tax
		out.ObjectiveUSD[i] = tco + tax
	}
}

// Constants of the economics model (physics.md §8.2, §10).
const (
	// DaysPerYear: the seed amortises with duration/365 (not 365.25).
	DaysPerYear = 365.0
	// AnnualMaintenanceRatio: Capital.AnnualMaintenanceRatio, 5 % of CapEx per year.
	AnnualMaintenanceRatio = 0.05
	// DefaultElectricityUSDPerKWh: Pricing.Cloud.ElectricityPerKwh.
	DefaultElectricityUSDPerKWh = 0.12
	// DefaultAmortizationYears and DefaultInfraMultiplier are the seed's defaults.
	DefaultAmortizationYears = 3.0
	DefaultInfraMultiplier   = 1.0
)

// EconIn holds the input columns of Economics.
type EconIn struct {
	Accelerators      []float64
	UnitCostUSD       []float64 // per accelerator; 0 when unstated (the seed's Profile B rule)
	InfraMultiplier   []float64
	AmortizationYears []float64
	Days              []float64
	EnergyKWh         []float64 // facility energy of the period (Sustainability.EnergyKWh)
	PriceUSDPerKWh    []float64
	CarbonKg          []float64
	CarbonTaxUSDPerT  []float64
	// RentalUSDPerHour is a rental price per accelerator-hour replacing capex and opex
	// where > 0; nil or 0 keeps them.
	RentalUSDPerHour []float64
}

// EconOut holds the output columns of Economics (USD).
type EconOut struct {
	CapexUSD, EnergyCostUSD, MaintenanceUSD, OpexUSD, TCOUSD []float64
	CarbonTaxUSD, ObjectiveUSD                               []float64
}

func (o *EconOut) resize(n int) {
	for _, p := range []*[]float64{&o.CapexUSD, &o.EnergyCostUSD, &o.MaintenanceUSD, &o.OpexUSD, &o.TCOUSD,
		&o.CarbonTaxUSD, &o.ObjectiveUSD} {
		*p = grow(*p, n)
	}
}

// AcceleratorHourUSD is what one accelerator costs per hour of service (ours; the seed
// prices whole fleets, §8.2): a rental price when one is given — it includes power —
// else the purchase amortised over `years` with the seed's 5 % annual maintenance
// (Capital.AnnualMaintenanceRatio), plus the energy it draws at the facility's PUE:
//
//	USD/h = unit cost · (1/years + 0.05) / 8760 + power/1000 · PUE · USD/kWh
func AcceleratorHourUSD(rentalUSDPerHour, unitCostUSD, years, powerW, pue, usdPerKWh float64) float64 {
	if rentalUSDPerHour > 0 {
		return rentalUSDPerHour
	}
	return unitCostUSD*(1/years+AnnualMaintenanceRatio)/HoursPerYear + powerW/1000*pue*usdPerKWh
}

// USDPerMillionTokens is the cost of a million generated tokens from `accelerators`
// accelerators at usdPerHour each producing tokensPerS together: +Inf when nothing is
// produced.
func USDPerMillionTokens(accelerators, usdPerHour, tokensPerS float64) float64 {
	if tokensPerS <= 0 {
		return math.Inf(1)
	}
	return accelerators * usdPerHour / (tokensPerS * 3600) * 1e6
}

// HoursPerYear follows the seed's 365-day year (DaysPerYear).
const HoursPerYear = DaysPerYear * 24
