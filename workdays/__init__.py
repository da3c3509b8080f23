"""Working days in China: one calendar of public holidays and make-up working days (调休), read
from one data file, for everything in the hub that counts days — the deadlines of objections
and the console's working hours."""
