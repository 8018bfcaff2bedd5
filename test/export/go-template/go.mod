module loraforge.test/ollamatemplate

go 1.22
