package results

// SetPlaceFile replaces how Merge places a part (to make it fail) and returns
// the restore.
func SetPlaceFile(f func(src, dst string) error) (restore func()) {
	old := placeFile
	placeFile = f
	return func() { placeFile = old }
}
