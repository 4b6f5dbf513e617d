public import NTPEngine
