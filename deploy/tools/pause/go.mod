module duka.local/pause

go 1.26
