from django.contrib import admin

from governance.admin import NodeAdmin
from measures.models import Measure, MeasurePackage

admin.site.register(MeasurePackage, NodeAdmin)
admin.site.register(Measure, NodeAdmin)
