// PareCompress
