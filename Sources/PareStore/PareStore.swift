// PareStore
